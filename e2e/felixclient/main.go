//go:build ignore

// Command e2e-felix-client is Felix's side of the Typha protocol for the e2e
// relay test (e2e/typha_test.go). It is not part of the e2e module: the
// constraint above keeps the e2e module from building or tidying it, and
// hack/typha-binaries.sh builds it inside the extracted Typha v3.20.2 tree
// (as cmd/e2e-felix-client), against that tree's pkg/discovery and
// pkg/syncclient.
//
// It finds Typha as Felix v3.20 does: pkg/discovery.DiscoverTyphaAddr with
// WithKubeService(namespace, service) and the default port name
// "calico-typha", over the Service's Endpoints, through a Kubernetes client
// built from --kubeconfig. Then it connects a felix-type syncer client and
// prints one line per event on stdout, which the test reads:
//
//	discovered <host:port>
//	status <wait-for-ready|resync|in-sync>
//	update <new|updated|deleted> <key>    (one per key Typha relays)
//	error <message>                       (then exits 1)
//
// Felix's own settings, with its defaults: FELIX_TYPHAK8SNAMESPACE
// (kube-system) and FELIX_TYPHAK8SSERVICENAME (Terway's felix_relay_service).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"

	log "github.com/sirupsen/logrus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/projectcalico/libcalico-go/lib/backend/api"
	"github.com/projectcalico/typha/pkg/discovery"
	"github.com/projectcalico/typha/pkg/syncclient"
	"github.com/projectcalico/typha/pkg/syncproto"
)

var out sync.Mutex

func say(format string, args ...interface{}) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

type callbacks struct{}

func (callbacks) OnStatusUpdated(status api.SyncStatus) {
	say("status %s", status)
}

func (callbacks) OnUpdates(updates []api.Update) {
	for _, u := range updates {
		what := "unknown"
		switch u.UpdateType {
		case api.UpdateTypeKVNew:
			what = "new"
		case api.UpdateTypeKVUpdated:
			what = "updated"
		case api.UpdateTypeKVDeleted:
			what = "deleted"
		}
		say("update %s %s", what, u.Key)
	}
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the identity that reads the Endpoints (Felix: calico-node's)")
	namespace := flag.String("namespace", "kube-system", "FELIX_TYPHAK8SNAMESPACE")
	service := flag.String("service", "", "FELIX_TYPHAK8SSERVICENAME (Terway: felix_relay_service)")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetLevel(log.InfoLevel)

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		say("error kubeconfig %s: %v", *kubeconfig, err)
		os.Exit(1)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		say("error kubernetes client: %v", err)
		os.Exit(1)
	}
	addr, err := discovery.DiscoverTyphaAddr(
		discovery.WithKubeService(*namespace, *service),
		discovery.WithKubeClient(cs),
	)
	if err != nil {
		say("error DiscoverTyphaAddr(service %s/%s, port name calico-typha): %v", *namespace, *service, err)
		os.Exit(1)
	}
	if addr == "" {
		say("error DiscoverTyphaAddr: no Typha configured (empty service name)")
		os.Exit(1)
	}
	say("discovered %s", addr)

	hostname, _ := os.Hostname()
	client := syncclient.New(addr, "v3.20.2", hostname, "typharender e2e felix client", callbacks{},
		&syncclient.Options{SyncerType: syncproto.SyncerTypeFelix})
	if err := client.Start(context.Background()); err != nil {
		say("error connect %s: %v", addr, err)
		os.Exit(1)
	}
	client.Finished.Wait()
	say("error connection to %s closed", addr)
	os.Exit(1)
}
