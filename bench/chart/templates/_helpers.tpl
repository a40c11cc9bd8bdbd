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

{{/* The default image by version, as typharender's terway.DefaultTyphas:
the guide's below 1.25, Calico's v3.24.5 from quay.io from 1.25. */}}
{{- define "typha.image" -}}
{{- if semverCompare ">=1.25-0" (include "typha.kubeVersion" .) -}}
{{- $registry := default "quay.io" .Values.image.registry -}}
{{- printf "%s/%s:%s" $registry (default "calico/typha" .Values.image.repository) (default "v3.24.5" .Values.image.tag) -}}
{{- else -}}
{{- $registry := default (printf "registry-vpc.%s.aliyuncs.com" .Values.region) .Values.image.registry -}}
{{- printf "%s/%s:%s" $registry (default "acs/typha" .Values.image.repository) (default "v3.20.2" .Values.image.tag) -}}
{{- end -}}
{{- end }}
