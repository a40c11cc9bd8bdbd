{{/* The labels and selector of every object. */}}
{{- define "typha.labels" -}}
k8s-app: calico-typha
{{- end }}

{{/* max(3, ceil(nodes/200)): one replica per 200 nodes, at least 3. */}}
{{- define "typha.replicas" -}}
{{- $nodes := int .Values.nodes -}}
{{- max 3 (div (add $nodes 199) 200) -}}
{{- end }}

{{/* The cluster's version: the kubeVersion value, else helm's. */}}
{{- define "typha.kubeVersion" -}}
{{- default .Capabilities.KubeVersion.Version .Values.kubeVersion -}}
{{- end }}

{{- define "typha.image" -}}
{{- $registry := default (printf "registry-vpc.%s.aliyuncs.com" .Values.region) .Values.image.registry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository .Values.image.tag -}}
{{- end }}
