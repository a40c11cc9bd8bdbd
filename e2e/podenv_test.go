//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// containerEnv resolves container's env as the kubelet does when it starts
// the container: literal values, the downward API fields the manifests here
// use, and ConfigMap keys from cms (by name, the pod's namespace: the
// ConfigMaps as they are at that moment). A missing key or ConfigMap is
// left out when the reference is optional and an error otherwise, as the
// kubelet refuses to start such a container. Anything else (Secrets,
// resource fields, $(VAR) references) is an error: nothing here uses it,
// and resolving it wrongly would be worse than saying so.
func containerEnv(pod *corev1.Pod, c *corev1.Container, cms map[string]*corev1.ConfigMap) ([]corev1.EnvVar, error) {
	var out []corev1.EnvVar
	for _, e := range c.Env {
		if strings.Contains(e.Value, "$(") {
			return nil, fmt.Errorf("container %s env %s=%q: $(VAR) references are not resolved by this test", c.Name, e.Name, e.Value)
		}
		if e.ValueFrom == nil {
			out = append(out, corev1.EnvVar{Name: e.Name, Value: e.Value})
			continue
		}
		switch vf := e.ValueFrom; {
		case vf.FieldRef != nil:
			v, err := podField(pod, vf.FieldRef.FieldPath)
			if err != nil {
				return nil, fmt.Errorf("container %s env %s: %w", c.Name, e.Name, err)
			}
			out = append(out, corev1.EnvVar{Name: e.Name, Value: v})
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			optional := ref.Optional != nil && *ref.Optional
			cm := cms[ref.Name]
			if cm == nil {
				if optional {
					continue
				}
				return nil, fmt.Errorf("container %s env %s: ConfigMap %s/%s not found", c.Name, e.Name, pod.Namespace, ref.Name)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, fmt.Errorf("container %s env %s: ConfigMap %s/%s has no key %s", c.Name, e.Name, pod.Namespace, ref.Name, ref.Key)
			}
			out = append(out, corev1.EnvVar{Name: e.Name, Value: v})
		default:
			return nil, fmt.Errorf("container %s env %s: only values, fieldRef and configMapKeyRef are resolved by this test, not %+v", c.Name, e.Name, vf)
		}
	}
	return out, nil
}

// podField is the downward API's value of path for pod.
func podField(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return pod.Status.HostIP, nil
	case "status.podIP":
		return pod.Status.PodIP, nil
	}
	return "", fmt.Errorf("fieldRef %s is not resolved by this test", path)
}

// envStrings is env as NAME=value strings, for exec.Cmd.Env.
func envStrings(env []corev1.EnvVar) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		out = append(out, e.Name+"="+e.Value)
	}
	return out
}

// criLog writes lines to a file in the kubelet's CRI log format, which
// `kubectl logs` reads through kwok ("2026-12-06T00:00:00.000000000Z stdout
// F text"; a plain file gives "unsupported log format").
type criLog struct {
	mu sync.Mutex
	f  *os.File
}

func createCRILog(path string) (*criLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &criLog{f: f}, nil
}

// line appends one line on stream ("stdout" or "stderr").
func (l *criLog) line(stream, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, "%s %s F %s\n", time.Now().UTC().Format(time.RFC3339Nano), stream, text)
}

// writer returns an io.Writer for a process's stream: every complete line
// becomes one CRI line; a last line without a newline is written by Close.
func (l *criLog) writer(stream string) *criStream { return &criStream{log: l, stream: stream} }

func (l *criLog) Close() error { return l.f.Close() }

type criStream struct {
	log    *criLog
	stream string
	buf    []byte
}

func (w *criStream) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.log.line(w.stream, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *criStream) Close() error {
	if len(w.buf) > 0 {
		w.log.line(w.stream, string(w.buf))
		w.buf = nil
	}
	return nil
}
