package rollout

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// GateName names a gate: a step whose one command checks, in the cluster,
// that the plan may go on. Names are stable: a runner may key on them.
type GateName string

// The gates of the typha plan, in the order it runs them.
const (
	// GateTerwayVersion: the Terway DaemonSet's policy container, where
	// Felix runs, is Terway v1.6.1 or later (its image tag) and takes
	// FELIX_TYPHAK8SSERVICENAME from eni-config's felix_relay_service.
	GateTerwayVersion GateName = "terway-version"
	// GateFelixEngine: the cluster's eni-config makes Terway run Felix, not
	// Cilium (and, unless the plan's patch turns it on, NetworkPolicy is on).
	GateFelixEngine GateName = "felix-engine"
	// GateImagePull: a throwaway pod, as Typha's ServiceAccount on the
	// nodes Typha may run on, pulls the Typha image.
	GateImagePull GateName = "image-pull"
	// GateTyphaInSync: after the apply, every Typha pod is Ready and has
	// logged status=in-sync for every syncer it started, the felix syncer
	// among them, before eni-config names Typha.
	GateTyphaInSync GateName = "typha-in-sync"
	// GateCanary: after the patch, one Terway pod is restarted, and its
	// Felix logs that it is in sync through Typha, before the others
	// restart.
	GateCanary GateName = "canary"
	// GateRolloutComplete: after the rolling restart, Terway's and Typha's
	// pods are all up to date and available, and one Felix per node that
	// runs Felix is connected to Typha.
	GateRolloutComplete GateName = "rollout-complete"
	// GateWithoutTypha, on the undo path and in a rollback from typha:
	// eni-config no longer names Typha and every Terway pod restarted
	// since (with metrics, no Felix is connected), before Typha is
	// deleted.
	GateWithoutTypha GateName = "felix-without-typha"
)

// What a gate's command prints as its last line on stdout: GatePass and
// the reason the plan may go on (exit status 0), or GateStop, the reason
// to stop and where the undo path starts (exit status 1).
const (
	GatePass = "OK: "
	GateStop = "STOP: "
)

// Gate makes a [Step] a gate. The machine-readable contract, which a
// person pasting the command into bash follows by reading its last line:
//
//   - the step has exactly one command, a bash script in a subshell
//     (paste it whole; it cannot end your shell);
//   - it passes when it exits 0 with a last line on stdout that starts
//     with [GatePass]; anything else is a stop, which it signals with exit
//     status 1 and a last line that starts with [GateStop], saying why and
//     "undo from step N" (or "nothing was changed" when UndoFrom is 0);
//   - it decides within Timeout: its waits are bounded, and it polls no
//     faster than every 5 seconds.
type Gate struct {
	Name GateName
	// UndoFrom is the number of the step (as printed, from 1) where the
	// undo path for a stop here begins; the undo path runs from there to
	// the end of the plan (every step from it has Undo set). 0: nothing
	// the plan relies on was changed before this gate.
	UndoFrom int
	// Timeout bounds how long the command runs before it decides.
	Timeout time.Duration
}

// Target says where a step's commands act, so that a runner can tell the
// steps it can run from those it cannot (a rehearsal on a simulated
// cluster has no security group and no registry to push to).
type Target string

// The targets.
const (
	TargetCluster  Target = "cluster"  // kubectl against the cluster
	TargetLocal    Target = "local"    // files on the machine the plan runs on
	TargetCloud    Target = "cloud"    // Alibaba Cloud's API (the aliyun CLI), with placeholders such as SG_ID to fill in
	TargetRegistry Target = "registry" // an image registry (skopeo)
)

// Bounds of the gates' waits. Typha from v3.24 is Ready only once every
// syncer is in sync, so the in-sync gate passes at once; the wait is for
// a Typha whose readiness says less (v3.20 to v3.22, vouched for).
const (
	// InSyncTimeout bounds the in-sync gate's polling of Typha's logs,
	// after the Deployment is Ready.
	InSyncTimeout = 2 * time.Minute
	// PullTimeout bounds the image-pull gate's wait for a node to pull.
	PullTimeout = 5 * time.Minute
	// CanaryReadyTimeout bounds the canary gate's wait for the restarted
	// Terway pod to be Ready; CanarySyncTimeout, then, for its Felix to
	// log in-sync.
	CanaryReadyTimeout = 5 * time.Minute
	CanarySyncTimeout  = 2 * time.Minute
	// ConnectionsTimeout bounds the rollout gate's wait for every Felix to
	// connect.
	ConnectionsTimeout = 5 * time.Minute
	// pollEvery is how often a gate polls.
	pollEvery = 5 * time.Second
)

// Log lines the gates read, each checked in the sources of every Typha
// and Felix release typharender renders or Terway ships.
const (
	// TyphaStatusLine is what Typha's snapshot cache logs each time a
	// syncer's status changes, with status=wait-for-ready, resync or
	// in-sync [calico typha/pkg/snapcache/cache.go, fillBatchFromInputQueue:
	// log.WithField("status", obj).Info(...), at the v3.20.2-typha pins,
	// v3.24.5 (line 243) and v3.28.5 (line 300)]. The line names no
	// syncer, but every syncer (felix, bgp and tunnel-ip-allocation at
	// v3.20.2; node-status too at v3.24.5 and v3.28.5, typha/pkg/daemon
	// CreateServer) is a watchersyncer that sends wait-for-ready once
	// when it starts and in-sync once, when all its watchers have synced
	// [libcalico-go lib/backend/watchersyncer/watchersyncer.go, run and
	// processResult; watchercache.go sends its first in-sync once]. So a
	// Typha whose log holds as many in-sync lines as wait-for-ready lines
	// has every syncer in sync, the felix syncer among them. /readiness
	// does not say as much for v3.20.2, whose caches all report health
	// under one name ("cache"), so one synced cache makes it Ready
	// (snapcache at v3.20.2-typha; measured: Ready, never in sync).
	TyphaStatusLine = "Received status update message from datastore."
	// FelixStatusLine is what Felix logs when Typha sends it a status,
	// with newStatus=in-sync once it is in sync through Typha [calico
	// typha/pkg/syncclient/sync_client.go at v3.24.5, line 344: Felix's
	// side of the protocol, which Terway's Felix builds from that commit;
	// Terway runs it with FELIX_LOGSEVERITYSCREEN=info, terway
	// cmd/terway-cli/policy.go at 89aadf8b].
	FelixStatusLine = "Status update from Typha."
	// FelixConnectingLine is what Felix logs as it connects to a Typha
	// [sync_client.go at v3.24.5, line 266].
	FelixConnectingLine = "Connecting to Typha."
)

// PullCheckPod is the pod the image-pull gate runs and deletes.
const PullCheckPod = "calico-typha-pull-check"

// script is a gate's bash script with <<NAME>> placeholders, filled in
// by fill; <<UNDO>> is filled last, by finishGates, once the steps are
// numbered. Every value is quoted where the script uses it.
type script string

func (s script) fill(kv ...string) string {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "<<"+kv[i]+">>", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(string(s))
}

// leftPlaceholder returns the first <<NAME>> placeholder left in s, or "".
func leftPlaceholder(s string) string {
	for i := strings.Index(s, "<<"); i >= 0; {
		j := i + 2
		for j < len(s) && 'A' <= s[j] && s[j] <= 'Z' {
			j++
		}
		if j > i+2 && strings.HasPrefix(s[j:], ">>") {
			return s[i : j+2]
		}
		next := strings.Index(s[i+1:], "<<")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return ""
}

// tries is how many polls fit in d.
func tries(d time.Duration) string { return strconv.Itoa(int(d / pollEvery)) }

// secs is d in whole seconds.
func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// stopFunc opens each script. First the shell options the script is
// written for, whatever the calling shell has set: a runbook that runs the
// plan under set -euo pipefail would otherwise see grep -c's exit 1 on no
// match end a gate without its STOP line, and an early reader (grep -q,
// break) fail a pipeline with its writer's SIGPIPE once a list outgrows
// the pipe's buffer (thousands of nodes). Then stop: the reason, then
// where to undo from. <<UNDO>> is filled last, when the steps are numbered.
const stopFunc = `set +e +u +o pipefail
  stop() { echo "STOP: $*; <<UNDO>>"; exit 1; }`

// terwayVersionScript reads Terway's version from the policy container's
// image tag and checks that the DaemonSet passes felix_relay_service to it.
const terwayVersionScript script = `(
  ` + stopFunc + `
  ds=<<DS>>
  img=$(kubectl -n kube-system get ds "$ds" -o jsonpath='{.spec.template.spec.containers[?(@.name=="policy")].image}') || stop "cannot read the DaemonSet kube-system/$ds (list Terway's with: kubectl -n kube-system get ds | grep terway)"
  [ -n "$img" ] || stop "the DaemonSet kube-system/$ds has no container named policy, where Terway runs Felix"
  key=$(kubectl -n kube-system get ds "$ds" -o jsonpath='{.spec.template.spec.containers[?(@.name=="policy")].env[?(@.name=="FELIX_TYPHAK8SSERVICENAME")].valueFrom.configMapKeyRef.key}') || stop "cannot read the DaemonSet kube-system/$ds"
  ref=${img%%@*}; tag=${ref##*/}
  case $tag in *:*) tag=${tag##*:} ;; *) tag= ;; esac
  ver=$(printf '%s\n' "$tag" | sed -n 's/^v\{0,1\}\([0-9][0-9]*\)\.\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2 \3/p')
  [ -n "$ver" ] || stop "the policy container's image $img has no vX.Y.Z tag to read Terway's version from"
  set -- $ver
  [ $((10#$1 * 1000000 + 10#$2 * 1000 + 10#$3)) -ge <<MIN>> ] || stop "Terway $tag is older than <<MINTAG>>, the first release that passes eni-config's felix_relay_service to Felix: upgrade Terway in the ACK console (Operations > Add-ons) first"
  [ "$key" = felix_relay_service ] || stop "Terway $tag's DaemonSet $ds does not pass eni-config's felix_relay_service to Felix (its policy container has no FELIX_TYPHAK8SSERVICENAME from that key): repair or upgrade Terway in the ACK console first"
  echo "OK: Terway $tag (<<MINTAG>> or later) passes eni-config's felix_relay_service to Felix"
)`

// felixEngineScript checks, as terway.ReadEngine reads it, that the live
// eni-config makes Terway run Felix: no setting that selects Cilium
// (searched in the whole CNI configuration, so a mention anywhere stops),
// and, where the plan's patch does not set it, NetworkPolicy on.
const felixEngineScript script = `(
  ` + stopFunc + `
  conf=$(kubectl -n kube-system get cm <<ENICONFIG>> -o go-template='{{with .data}}{{with index . "<<CONFLIST>>"}}{{.}}{{else}}{{with index . "<<CONF>>"}}{{.}}{{end}}{{end}}{{end}}') || stop "cannot read the ConfigMap kube-system/<<ENICONFIG>>"
  [ -n "$conf" ] || stop "eni-config has neither <<CONF>> nor <<CONFLIST>>, which say which NetworkPolicy engine Terway runs"
  if printf '%s\n' "$conf" | grep -Eiq '"<<VIRTUAL>>"[[:space:]]*:[[:space:]]*"(datapathv2|ipvlan)"'; then
    stop "eni-config's <<VIRTUAL>> makes Terway run Cilium (DataPath V2 or IPVlan), not Felix: Typha would serve no one"
  fi
  if printf '%s\n' "$conf" | grep -Eq '"<<PROVIDER>>"[[:space:]]*:[[:space:]]*"<<EBPF>>"'; then
    stop "eni-config's <<PROVIDER>> \"<<EBPF>>\" makes Terway enforce NetworkPolicy with Cilium, not Felix: Typha would serve no one"
  fi
  pol=$(kubectl -n kube-system get cm <<ENICONFIG>> -o go-template='{{with .data}}{{with index . "<<DISABLE>>"}}{{.}}{{end}}{{end}}|') || stop "cannot read the ConfigMap kube-system/<<ENICONFIG>>"
  pol=${pol%|}
<<POLICY>>
  echo "OK: eni-config makes Terway run Felix: no <<PROVIDER>> ebpf, no <<VIRTUAL>> datapathv2 or ipvlan, <<DISABLE>> $(printf '%q' "$pol")<<POLICYOK>>"
)`

// policyOnCheck stops on a disable_network_policy Terway reads as
// disabled; the plan's own patch turns it on where it knows the key.
const policyOnCheck = `  case $pol in false|0|'') ;; *) stop "eni-config's <<DISABLE>> is $(printf '%q' "$pol"), which Terway reads as disabled: it runs no Felix; give the plan the cluster's eni-config (its patch sets the key to \"false\"), or set it to \"false\" first" ;; esac`

// imagePullScript runs a pod with the Typha image as Typha's ServiceAccount
// (whose imagePullSecrets Typha's pods get too) where Typha may run, waits
// until its node has pulled the image, and deletes the pod.
const imagePullScript script = `(
  ` + stopFunc + `
  pod=<<POD>> ok= phase= id= reason= msg=
  kubectl -n kube-system delete pod "$pod" --ignore-not-found --wait=true >/dev/null || stop "cannot delete an earlier pod kube-system/$pod"
  kubectl -n kube-system run "$pod" --image=<<IMAGE>> --restart=Never --image-pull-policy=Always --labels=app.kubernetes.io/name=<<POD>> --overrides=<<OVERRIDES>> --command -- calico-typha --version >/dev/null || stop "cannot create the pod kube-system/$pod that pulls <<IMAGE>>"
  for ((i = 0; i < <<TRIES>>; i++)); do
    IFS='|' read -r phase id reason msg <<< "$(kubectl -n kube-system get pod "$pod" -o jsonpath='{.status.phase}|{.status.containerStatuses[0].imageID}|{.status.containerStatuses[0].state.waiting.reason}|{.status.containerStatuses[0].state.waiting.message}')"
    case $phase in Running|Succeeded|Failed) ok=1 ;; esac
    [ -n "$id" ] && ok=1
    [ -n "$ok" ] && break
    case $reason in ImagePullBackOff|InvalidImageName|ErrImageNeverPull) break ;; esac
    sleep <<EVERY>>
  done
  node=$(kubectl -n kube-system get pod "$pod" -o jsonpath='{.spec.nodeName}' 2>/dev/null)
  kubectl -n kube-system delete pod "$pod" --ignore-not-found --wait=false >/dev/null 2>&1
  [ -n "$ok" ] && { echo "OK: node ${node:-?} pulled <<IMAGE>>${id:+ ($id)}"; exit 0; }
  stop "no node pulled <<IMAGE>> within <<WITHIN>> (${reason:-the pod was not scheduled}${msg:+: $msg})<<HINT>>"
)`

// typhaInSyncScript waits for the Deployment, then reads every Typha
// pod's log through the API server until each has as many in-sync status
// lines as wait-for-ready ones (TyphaStatusLine), and says why not.
const typhaInSyncScript script = `(
  ` + stopFunc + `
  check() {
    set -- $(kubectl -n kube-system logs "$1" -c <<NAME>> --tail=-1 2>/dev/null | awk '
      index($0, "<<STATUS>> status=wait-for-ready") {w++}
      index($0, "<<STATUS>> status=in-sync") {s++}
      index($0, "<<ESLINE>>") {e++}
      index($0, "<<INITLINE>>") {f++}
      /forbidden/ {x++}
      END {print w+0, s+0, e+0, f+0, x+0}')
    w=${1:-0} s=${2:-0} e=${3:-0} f=${4:-0} x=${5:-0}
    why="$s of $w syncers in sync"
    [ "$w" -eq 0 ] && why="no syncer started"
    [ "$e" -gt 0 ] && why="$why; $e log lines say <<ESLINE>> (it lists EndpointSlices through discovery.k8s.io/v1beta1, which this cluster no longer serves)"
    [ "$f" -gt 0 ] && why="$why; $f log lines say <<INITLINE>> (from v3.29 Typha needs Calico's Tier CRD, which Terway does not install)"
    [ "$x" -gt 0 ] && why="$why; $x log lines say forbidden (its ServiceAccount lacks Terway's ClusterRole)"
    [ "$w" -gt 0 ] && [ "$s" -eq "$w" ]
  }
  survey() {
    ok=0 bad=
    for pod in $(kubectl -n kube-system get pods -l <<SELECTOR>> -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' | awk 'NF == 1 {print $1}'); do
      if check "$pod"; then ok=$((ok + 1)); else bad="$bad; pod $pod: $why"; fi
    done
  }
  if ! kubectl -n kube-system rollout status deploy/<<NAME>> --timeout=<<ROLLOUT>>; then
    survey
    stop "the Deployment kube-system/<<NAME>> is not Ready after <<ROLLOUT>>$bad"
  fi
<<WAITREPLICAS>>
  want=$(kubectl -n kube-system get deploy <<NAME>> -o jsonpath='{.spec.replicas}') || stop "cannot read the Deployment kube-system/<<NAME>>"
  for ((i = 0; i < <<TRIES>>; i++)); do
    survey
    [ -z "$bad" ] && [ "$ok" -ge "${want:-1}" ] && break
    sleep <<EVERY>>
  done
  [ -z "$bad" ] && [ "$ok" -ge "${want:-1}" ] && { echo "OK: all $ok Typha pods are in sync: each logged status=in-sync for every syncer it started, the felix syncer among them"; exit 0; }
  stop "$ok of ${want:-1} Typha pods are in sync after <<WITHIN>>$bad"
)`

// waitReplicasCheck waits for the autoscaler's replica count.
const waitReplicasCheck = `  kubectl -n kube-system wait deploy/<<NAME>> --for=jsonpath='{.status.readyReplicas}'=<<REPLICAS>> --timeout=<<ROLLOUT>> || stop "cluster-proportional-autoscaler has not brought Typha to <<REPLICAS>> ready replicas after <<ROLLOUT>> (kubectl -n kube-system logs deploy/<<AUTOSCALER>>)"`

// canaryScript restarts the Terway pod of the first node (by name) that
// runs Felix, waits for its replacement, and reads its Felix's log for
// in-sync through Typha (FelixStatusLine).
const canaryScript script = `(
  ` + stopFunc + `
  ds=<<DS>>
  sel=$(kubectl -n kube-system get ds "$ds" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}') || stop "cannot read the DaemonSet kube-system/$ds"
  sel=${sel%,}
  [ -n "$sel" ] || stop "the DaemonSet kube-system/$ds has no matchLabels selector to find its pods by"
  nodes=$(kubectl get nodes -l '<<FELIXNODES>>' -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}') || stop "cannot list the nodes"
  pick=$(kubectl -n kube-system get pods -l "$sel" -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.metadata.name}{"\n"}{end}' | sort | while read -r n p; do if printf '%s\n' "$nodes" | grep -qxF "$n"; then echo "$n $p"; break; fi; done)
  [ -n "$pick" ] || stop "no pod of $ds runs on a node that runs Felix (<<FELIXNODES>>)"
  node=${pick%% *} old=${pick#* } new=
  kubectl -n kube-system delete pod "$old" --wait=true >/dev/null || stop "cannot delete the Terway pod kube-system/$old"
  for ((i = 0; i < <<READYTRIES>>; i++)); do
    new=$(kubectl -n kube-system get pods -l "$sel" --field-selector "spec.nodeName=$node" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | awk -v old="$old" '$1 != old && $2 == "True" {print $1; exit}')
    [ -n "$new" ] && break
    sleep <<EVERY>>
  done
  [ -n "$new" ] || stop "the Terway pod that replaces $old on node $node is not Ready after <<READYWITHIN>> (kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=$node)"
  synced=
  for ((i = 0; i < <<SYNCTRIES>>; i++)); do
    synced=$(kubectl -n kube-system logs "$new" -c policy --tail=-1 2>/dev/null | grep -F '<<FELIXLINE>>' | grep -c 'newStatus=in-sync')
    [ "${synced:-0}" -gt 0 ] && { echo "OK: Felix on node $node (pod $new) connected to Typha and is in sync: it logged <<FELIXLINE>> newStatus=in-sync"; exit 0; }
    sleep <<EVERY>>
  done
  env=$(kubectl -n kube-system exec "$new" -c policy -- env 2>/dev/null | grep '^FELIX_TYPHAK8SSERVICENAME=')
  tried=$(kubectl -n kube-system logs "$new" -c policy --tail=-1 2>/dev/null | grep -cF '<<CONNECTING>>')
  stop "Felix on node $node (pod $new) is not in sync through Typha after <<SYNCWITHIN>> (${env:-no FELIX_TYPHAK8SSERVICENAME in its environment}; it logged <<CONNECTING>> ${tried:-0} times)"
)`

// rolloutCompleteScript checks that nothing is stuck and that one Felix
// per node that runs Felix is connected to Typha: by Typha's metrics when
// rendered with them, else by each Felix's log.
const rolloutCompleteScript script = `(
  ` + stopFunc + `
  ds=<<DS>>
  IFS='|' read -r desired updated available <<< "$(kubectl -n kube-system get ds "$ds" -o jsonpath='{.status.desiredNumberScheduled}|{.status.updatedNumberScheduled}|{.status.numberAvailable}')"
  [ -n "$desired" ] || stop "cannot read the DaemonSet kube-system/$ds"
  [ "${updated:-0}" -eq "$desired" ] && [ "${available:-0}" -eq "$desired" ] || stop "Terway's DaemonSet $ds has ${updated:-0} of $desired pods restarted and ${available:-0} available: the restart is stuck (kubectl -n kube-system rollout status ds/$ds)"
  IFS='|' read -r want ready <<< "$(kubectl -n kube-system get deploy <<NAME>> -o jsonpath='{.spec.replicas}|{.status.readyReplicas}')"
  [ "${ready:-0}" -ge "${want:-1}" ] || stop "Typha has ${ready:-0} of ${want:-1} replicas ready"
  names=$(kubectl get nodes -l '<<FELIXNODES>>' -o name) || stop "cannot list the nodes"
  felix=$(printf '%s\n' "$names" | grep -c .)
<<COUNT>>
)`

// countByMetrics sums typha_connections_active over the replicas, through
// the API server's pod proxy, until it is one per Felix node.
const countByMetrics = `  n=0
  for ((i = 0; i < <<TRIES>>; i++)); do
    n=$(<<SUM>>)
    [ "$n" -eq "$felix" ] && break
    sleep <<EVERY>>
  done
  [ "$n" -eq "$felix" ] && { echo "OK: $n Felix agents connected across the Typha replicas (<<METRIC>>), one per node that runs Felix; Terway's $desired pods restarted and available"; exit 0; }
  stop "$n Felix agents connected across the Typha replicas after <<WITHIN>>, not one per node that runs Felix ($felix): the nodes whose Felix is missing still watch the API server directly (kubectl -n kube-system get pods -o wide | grep $ds)"`

// countByLogs reads each Felix node's Terway pod's policy log for in-sync
// through Typha.
const countByLogs = `  sel=$(kubectl -n kube-system get ds "$ds" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}') || stop "cannot read the DaemonSet kube-system/$ds"
  sel=${sel%,}
  nodes=$(kubectl get nodes -l '<<FELIXNODES>>' -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}') || stop "cannot list the nodes"
  n=0 bad=0 missing=
  while read -r node pod; do
    printf '%s\n' "$nodes" | grep -qxF "$node" || continue
    if kubectl -n kube-system logs "$pod" -c policy --tail=-1 2>/dev/null | grep -F '<<FELIXLINE>>' | grep -q 'newStatus=in-sync'; then
      n=$((n + 1))
    else
      bad=$((bad + 1)); [ "$bad" -le 10 ] && missing="$missing $pod"
    fi
  done <<< "$(kubectl -n kube-system get pods -l "$sel" -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.metadata.name}{"\n"}{end}')"
  [ "$n" -eq "$felix" ] && { echo "OK: $n Felix agents logged <<FELIXLINE>> newStatus=in-sync, one per node that runs Felix; Terway's $desired pods restarted and available"; exit 0; }
  [ "$bad" -gt 10 ] && missing="$missing and $((bad - 10)) more"
  stop "$n Felix agents are in sync through Typha, not one per node that runs Felix ($felix); not in sync:${missing:- none, but some nodes that run Felix have no Terway pod}"`

// gateTerwayVersion is the pre-flight check of Terway's version.
func (b *planBuilder) gateTerwayVersion() Step {
	min := terway.FirstTerwayWithRelay()
	return Step{
		Title:  "Pre-flight: Terway passes felix_relay_service to Felix",
		Target: TargetCluster,
		Gate:   &Gate{Name: GateTerwayVersion, Timeout: time.Minute},
		Commands: []string{terwayVersionScript.fill("DS", ShellQuote(b.ds),
			"MIN", strconv.Itoa(min.Major*1000000+min.Minor*1000+min.Patch), "MINTAG", min.String())},
		Notes: []string{
			fmt.Sprintf("Terway's DaemonSet passes eni-config's %s to Felix, as FELIX_TYPHAK8SSERVICENAME in the policy container where Felix runs, from %s on (AliyunContainerService/terway, charts/terway/templates/daemonset.yaml). The command reads the version from that container's image tag and checks the setting itself.", terway.KeyFelixRelayService, min),
		},
	}
}

// gateFelixEngine is the pre-flight check that Felix enforces
// NetworkPolicy; patched says the plan's patch sets disable_network_policy
// to "false", so a disabled policy there is fixed, not a stop.
func (b *planBuilder) gateFelixEngine(patched bool) Step {
	policy, policyOK := policyOnCheck, ""
	if patched {
		policy, policyOK = "", " (the patch sets it to \\\"false\\\")"
	}
	cmd := felixEngineScript.fill("POLICY", policy, "POLICYOK", policyOK)
	cmd = script(cmd).fill("ENICONFIG", terway.ENIConfigName, "CONF", terway.KeyCNIConf, "CONFLIST", terway.KeyCNIConfList,
		"VIRTUAL", terway.FieldVirtualType, "PROVIDER", terway.FieldPolicyProvider, "EBPF", terway.ProviderEBPF,
		"DISABLE", terway.KeyDisableNetworkPolicy)
	cmd = strings.ReplaceAll(cmd, "\n\n", "\n") // no empty line where the policy check is left out
	return Step{
		Title:    "Pre-flight: Felix enforces NetworkPolicy",
		Target:   TargetCluster,
		Gate:     &Gate{Name: GateFelixEngine, Timeout: time.Minute},
		Commands: []string{cmd},
		Notes: []string{
			fmt.Sprintf("Typha relays only for Felix. Terway runs Cilium instead where %s is datapathv2 or ipvlan, or %s is %q, in eni-config's CNI configuration (%s or %s), and no engine where %s disables NetworkPolicy (terway cmd/terway-cli/policy.go, as terway.ReadEngine reads it); the command reads the live eni-config.", terway.FieldVirtualType, terway.FieldPolicyProvider, terway.ProviderEBPF, terway.KeyCNIConf, terway.KeyCNIConfList, terway.KeyDisableNetworkPolicy),
		},
	}
}

// pullOverrides is the pull-check pod's spec: Typha's ServiceAccount (its
// imagePullSecrets), no token, and where Typha may run.
func pullOverrides() string {
	spec := map[string]any{
		"apiVersion": "v1",
		"spec": map[string]any{
			"serviceAccountName":           render.ServiceAccount,
			"automountServiceAccountToken": false,
			"nodeSelector":                 map[string]string{"kubernetes.io/os": "linux"},
			"tolerations":                  []map[string]string{{"operator": "Exists"}},
			"affinity": map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
				"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{
					"key": terway.LabelVirtualNode, "operator": "NotIn", "values": []string{terway.VirtualKubelet}}}}}}}},
		},
	}
	// Marshalling maps of strings cannot fail; keys come out sorted.
	out, _ := json.Marshal(spec)
	return string(out)
}

// gateImagePull is the pre-flight check that the cluster can pull the
// Typha image.
func (b *planBuilder) gateImagePull() Step {
	res := b.plan.Rendering
	image := res.Image
	hint := ""
	if m := mirrorSource(res); m != "" {
		hint = "; if the nodes cannot reach " + strings.SplitN(m, "/", 2)[0] + ", mirror the image into a registry they reach and render with image.registry set to it (see the notes)"
	}
	s := Step{
		Title:  "Pre-flight: the cluster can pull the Typha image",
		Target: TargetCluster,
		Gate:   &Gate{Name: GateImagePull, Timeout: PullTimeout + time.Minute},
		Commands: []string{imagePullScript.fill("POD", PullCheckPod, "IMAGE", ShellQuote(image), "OVERRIDES", ShellQuote(pullOverrides()),
			"TRIES", tries(PullTimeout), "EVERY", secs(pollEvery), "WITHIN", english.Duration(PullTimeout), "HINT", hint)},
		Notes: []string{
			fmt.Sprintf("The command runs a pod, %s, with the image %s as Typha's ServiceAccount (%s, whose imagePullSecrets Typha's pods get) on a node Typha may run on, with imagePullPolicy Always, waits until the node has pulled it, and deletes the pod: it changes nothing the plan relies on.", PullCheckPod, image, render.ServiceAccount),
		},
	}
	if m := mirrorSource(res); m != "" {
		s.Notes = append(s.Notes, mirrorNotes(res, m)...)
	}
	return s
}

// gateTyphaInSync waits for the Deployment and checks every Typha pod's
// log for in-sync.
func (b *planBuilder) gateTyphaInSync() Step {
	res := b.plan.Rendering
	a := res.Advice
	wait := ""
	if res.Autoscaler != nil {
		wait = script(waitReplicasCheck).fill("NAME", render.Name, "REPLICAS", strconv.Itoa(a.Replicas),
			"ROLLOUT", english.Duration(b.timeout), "AUTOSCALER", render.AutoscalerName)
	}
	cmd := typhaInSyncScript.fill("WAITREPLICAS", wait)
	cmd = script(cmd).fill("NAME", render.Name, "SELECTOR", render.AppLabel+"="+render.Name,
		"STATUS", TyphaStatusLine, "ESLINE", terway.EndpointSliceLogLine, "INITLINE", terway.InitFailedLogLine,
		"ROLLOUT", english.Duration(b.timeout), "TRIES", tries(InSyncTimeout), "EVERY", secs(pollEvery), "WITHIN", english.Duration(InSyncTimeout))
	cmd = strings.ReplaceAll(cmd, "\n\n", "\n")
	timeout := b.timeout + InSyncTimeout + time.Minute
	if res.Autoscaler != nil {
		timeout += b.timeout
	}
	s := Step{
		Title:    "Wait for Typha, and check that every pod is in sync",
		Target:   TargetCluster,
		Gate:     &Gate{Name: GateTyphaInSync, Timeout: timeout},
		Commands: []string{cmd},
		Notes: []string{
			fmt.Sprintf("Ready is not enough: Typha v3.20.2 reports Ready on Kubernetes 1.25 and later while its felix syncer never syncs (measured). The command waits for the rollout, then reads each Typha pod's log through the API server: every syncer logs %q with status=wait-for-ready once when it starts and status=in-sync once when it has synced, so a pod with as many in-sync lines as wait-for-ready lines has every syncer in sync, the felix syncer among them (calico typha/pkg/snapcache/cache.go and libcalico-go's watchersyncer, at v3.20.2, v3.24.5 and v3.28.5).", TyphaStatusLine),
			"It needs Typha to log at info (logSeverity info or debug) and the pods' first log lines (it runs right after the rollout, before the kubelet rotates them).",
			fmt.Sprintf("On a STOP the reason names what the log shows: %q (a Typha that lists EndpointSlices through discovery.k8s.io/v1beta1), %q (a Typha from v3.29 without Calico's Tier CRD) or forbidden (RBAC). eni-config is untouched, so no Felix uses this Typha yet.", terway.EndpointSliceLogLine, terway.InitFailedLogLine),
		},
	}
	if res.Autoscaler != nil {
		s.Notes = append(s.Notes, autoscalerNotes(a.Replicas)...)
	}
	for _, c := range vouchedClaims(res) {
		s.Notes = append(s.Notes, fmt.Sprintf("The rendering vouches that %s (%s: %s): this gate is where the cluster proves it.", c.Says(), render.VouchAnnotation, c))
	}
	return s
}

// gateCanary restarts one Terway pod and checks its Felix.
func (b *planBuilder) gateCanary() Step {
	return Step{
		Title:  "Canary: restart one Terway pod, and check that its Felix syncs through Typha",
		Target: TargetCluster,
		Gate:   &Gate{Name: GateCanary, Timeout: CanaryReadyTimeout + CanarySyncTimeout + time.Minute},
		Commands: []string{canaryScript.fill("DS", ShellQuote(b.ds), "FELIXNODES", render.AutoscalerNodeLabels,
			"READYTRIES", tries(CanaryReadyTimeout), "READYWITHIN", english.Duration(CanaryReadyTimeout),
			"SYNCTRIES", tries(CanarySyncTimeout), "SYNCWITHIN", english.Duration(CanarySyncTimeout),
			"EVERY", secs(pollEvery), "FELIXLINE", FelixStatusLine, "CONNECTING", FelixConnectingLine)},
		Notes: []string{
			fmt.Sprintf("The command deletes the Terway pod of the first node (by name) that runs Felix (%s), so that the DaemonSet starts one with the patched eni-config, waits until it is Ready, and reads its Felix's log through the API server for %q with newStatus=in-sync, which Felix logs once Typha has sent it a full, synced snapshot (typha/pkg/syncclient at v3.24.5, which Terway's Felix is built from).", render.AutoscalerNodeLabels, FelixStatusLine),
			"Only this node relies on Typha so far: on a STOP, the undo path restores eni-config and restarts Terway, so that this node's Felix (and any Terway pod started since the patch) watches the API server again.",
		},
	}
}

// gateRolloutComplete checks the end state after the rolling restart.
func (b *planBuilder) gateRolloutComplete() Step {
	res := b.plan.Rendering
	a := res.Advice
	var count string
	s := Step{
		Title:  "Check the rollout: every Felix uses Typha, nothing is stuck",
		Target: TargetCluster,
		Gate:   &Gate{Name: GateRolloutComplete},
	}
	if b.metrics() {
		count = script(countByMetrics).fill("SUM", connectionsSum(), "TRIES", tries(ConnectionsTimeout), "EVERY", secs(pollEvery),
			"WITHIN", english.Duration(ConnectionsTimeout), "METRIC", ConnectionsMetric)
		s.Gate.Timeout = ConnectionsTimeout + 2*time.Minute
		s.Notes = []string{
			fmt.Sprintf("The command checks that Terway's DaemonSet has every pod restarted and available and Typha every replica ready, then sums %s over the Typha replicas through the API server's pod proxy until it is one per node that runs Felix (the nodes that match %s; %d is what this plan was made for): each replica holds about %d. To see them per replica: %s", ConnectionsMetric, render.AutoscalerNodeLabels, a.Nodes, a.Load.FelixPerTypha, connectionsPerPod()),
		}
		s.Notes = append(s.Notes, metricsNotes()...)
	} else {
		count = script(countByLogs).fill("FELIXNODES", render.AutoscalerNodeLabels, "FELIXLINE", FelixStatusLine)
		s.Gate.Timeout = 2*time.Minute + time.Duration(a.Nodes)*time.Second/5
		s.Notes = []string{
			fmt.Sprintf("The command checks that Terway's DaemonSet has every pod restarted and available and Typha every replica ready, then reads the log of the Terway pod on each node that runs Felix (%s) for %q with newStatus=in-sync: one request per node, so it takes a while on a large cluster. With metrics.enabled it sums Typha's %s instead, a request per Typha replica.", render.AutoscalerNodeLabels, FelixStatusLine, ConnectionsMetric),
		}
	}
	s.Commands = []string{rolloutCompleteScript.fill("DS", ShellQuote(b.ds), "NAME", render.Name, "FELIXNODES", render.AutoscalerNodeLabels, "COUNT", count)}
	s.Notes = append(s.Notes, "Then watch the traffic to the API server's SLB instance fall as Felix agents move to Typha (the guide's check).")
	return s
}

// vouchedClaims returns the claims the rendering's Deployment records.
func vouchedClaims(res *render.Result) []terway.Claim {
	v := res.Deployment.Annotations[render.VouchAnnotation]
	if v == "" {
		return nil
	}
	var out []terway.Claim
	for _, c := range strings.Split(v, ",") {
		out = append(out, terway.Claim(c))
	}
	return out
}

// mirrorSource returns where the rendered image can be copied from, for
// a mirror: Calico's own repository for a calico/typha image; "" when the
// image's source is not known (an image of the person's own, or ACK's).
func mirrorSource(res *render.Result) string {
	c := res.Deployment.Spec.Template.Spec.Containers[0]
	ref := strings.SplitN(c.Image, "@", 2)[0]
	i := strings.LastIndex(ref, ":")
	repoPath, tag := ref[:i], ref[i+1:]
	if !strings.HasSuffix(repoPath, "/calico/typha") {
		return ""
	}
	return terway.CalicoTyphaRepository + ":" + tag
}

// mirrorNotes say how to copy the image into a registry of one's own,
// with skopeo (containers/skopeo, docs/skopeo-copy.1.md: skopeo copy
// [options] SOURCE DESTINATION; --all copies every architecture).
func mirrorNotes(res *render.Result, source string) []string {
	ref := strings.SplitN(res.Image, "@", 2)[0]
	if strings.HasPrefix(ref, terway.CalicoTyphaRepository+":") {
		return []string{
			"If the nodes cannot reach quay.io (no NAT gateway or no internet), mirror the image into a registry they reach, such as an ACR Enterprise Edition instance in the cluster's VPC, and render again with image.registry set to it; log in first (skopeo login REGISTRY):",
			fmt.Sprintf("skopeo copy --all docker://%s docker://REGISTRY/calico/typha:%s", source, source[strings.LastIndex(source, ":")+1:]),
		}
	}
	return nil
}

// mirrorStep copies the image into the registry the rendering names, when
// that is a mirror of Calico's image.
func (b *planBuilder) mirrorStep() (Step, bool) {
	res := b.plan.Rendering
	source := mirrorSource(res)
	ref := strings.SplitN(res.Image, "@", 2)[0]
	if source == "" || strings.HasPrefix(ref, terway.CalicoTyphaRepository+":") {
		return Step{}, false
	}
	host := strings.SplitN(ref, "/", 2)[0]
	return Step{
		Title:    "Mirror Typha's image into " + host,
		Target:   TargetRegistry,
		Commands: []string{fmt.Sprintf("skopeo copy --all docker://%s docker://%s", source, ref)},
		Notes: []string{
			fmt.Sprintf("The rendering pulls %s, a copy of Calico's %s. skopeo copies it with every architecture (--all); log in to %s first (skopeo login %s), and skip this step if the image is there already.", ref, source, host, host),
		},
	}, true
}
