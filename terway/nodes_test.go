package terway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, labels map[string]string, os string) corev1.Node {
	return corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{OperatingSystem: os}},
	}
}

func TestCountFelixNodes(t *testing.T) {
	t.Parallel()
	nodes := []corev1.Node{
		node("ecs-1", map[string]string{"kubernetes.io/os": "linux"}, "linux"),
		node("ecs-2", nil, "linux"),
		node("ecs-3", nil, ""),
		node("win-1", map[string]string{"kubernetes.io/os": "windows"}, "windows"),
		node("win-2", nil, "windows"),
		node("virtual-kubelet-cn-hangzhou-k", map[string]string{"kubernetes.io/os": "linux", "type": "virtual-kubelet"}, "linux"),
		node("eni-1", map[string]string{"kubernetes.io/os": "linux", "k8s.aliyun.com/exclusive-mode-eni-type": "eniOnly"}, "linux"),
		node("eni-2", map[string]string{"k8s.aliyun.com/exclusive-mode-eni-type": "default"}, "linux"),
	}
	got := CountFelixNodes(nodes)
	assert.Equal(t, 8, got.Total)
	assert.Equal(t, 4, got.Felix) // ecs-1, ecs-2, ecs-3, eni-2
	assert.Equal(t, []SkippedNode{
		{"eni-1", SkipExclusiveENI},
		{"virtual-kubelet-cn-hangzhou-k", SkipVirtual},
		{"win-1", SkipNotLinux},
		{"win-2", SkipNotLinux},
	}, got.Skipped)
	assert.Equal(t, NodeCount{}, CountFelixNodes(nil))
}
