{{- /*
Named helpers. The chart decides nothing: every name, label and setting comes from the
compiled values (docs/contract.md); these helpers only share object shapes between templates.
*/}}

{{- /* The graph's namespace, else the release namespace.
Usage: namespace: {{ include "infergraph.namespace" $ }} */}}
{{- define "infergraph.namespace" -}}
{{- with .Values.namespace }}{{ . }}{{ else }}{{ $.Release.Namespace }}{{ end }}
{{- end }}

{{- /* Labels of an object: the given labels plus the two helm adds (helm.sh/chart, managed-by).
Usage: {{- include "infergraph.labels" (list $ $labels) | nindent 4 }} */}}
{{- define "infergraph.labels" -}}
{{- $root := index . 0 }}
{{- $helm := dict "helm.sh/chart" (printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_") "app.kubernetes.io/managed-by" $root.Release.Service }}
{{- toYaml (merge $helm (index . 1)) }}
{{- end }}

{{- /* metadata of a namespaced object: name, namespace, labels and (non-empty) annotations.
Usage: metadata: {{- include "infergraph.metadata" (dict "root" $ "name" $n "labels" $l "annotations" $a) | nindent 2 }} */}}
{{- define "infergraph.metadata" -}}
name: {{ .name }}
namespace: {{ include "infergraph.namespace" .root }}
labels:
  {{- include "infergraph.labels" (list .root .labels) | nindent 2 }}
{{- with .annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- /* The entries of a map whose value is not empty (null, "", [], {} are left out), as YAML.
Usage: {{- include "infergraph.present" (pick $w "nodeSelector" "tolerations") | nindent 6 }} */}}
{{- define "infergraph.present" -}}
{{- $present := dict }}
{{- range $key, $value := . }}{{ with $value }}{{ $_ := set $present $key . }}{{ end }}{{ end }}
{{- with $present }}{{ toYaml . }}{{ end }}
{{- end }}

{{- /* The selector of every pod of the graph.
Usage: matchLabels: {{- include "infergraph.graphSelector" $ | nindent 6 }} */}}
{{- define "infergraph.graphSelector" -}}
app.kubernetes.io/instance: {{ .Values.name }}
{{- end }}

{{- /* The port number of a workload's Service port of the given name.
Usage: {{ include "infergraph.port" (list $workload "grpc") }} */}}
{{- define "infergraph.port" -}}
{{- $name := index . 1 }}
{{- range (index . 0).service.ports }}{{ $port := .port }}{{ with eq .name $name }}{{ $port }}{{ end }}{{ end }}
{{- end }}

{{- /* The port number of a workload's Service port named http.
Usage: {{ include "infergraph.httpPort" $workload }} */}}
{{- define "infergraph.httpPort" -}}
{{- include "infergraph.port" (list . "http") }}
{{- end }}

{{- /* A predictor as an Istio destination: the graph Service, the predictor's subset, http.
Usage: destination: {{- include "infergraph.destination" (list $ $predictor) | nindent 4 }} */}}
{{- define "infergraph.destination" -}}
{{- $root := index . 0 }}{{ $p := index . 1 }}
host: {{ $root.Values.graphService.fullname }}
subset: {{ $p.name }}
port:
  number: {{ include "infergraph.httpPort" $p.orchestrator }}
{{- end }}

{{- /* A predictor's orchestrator Service as a Gateway API backendRef, on the named port.
Usage: - {{- include "infergraph.backendRef" (list $predictor "http") | nindent 4 }} */}}
{{- define "infergraph.backendRef" -}}
{{- $o := (index . 0).orchestrator }}
name: {{ $o.fullname }}
port: {{ include "infergraph.port" (list $o (index . 1)) }}
{{- end }}

{{- /* The head of a Gateway API route: parentRefs and (non-empty) hostnames of gatewayApi.
Usage: spec: {{- include "infergraph.routeParents" $.Values.gatewayApi | nindent 2 }} */}}
{{- define "infergraph.routeParents" -}}
parentRefs:
  {{- range .parentRefs }}
  - {{- include "infergraph.present" . | nindent 4 }}
  {{- end }}
{{- with .hostnames }}
hostnames:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- /* RequestMirror filters of a Gateway API route: the shadow predictor on the named port,
by its mirrorPercent; empty without a shadow.
Usage: {{- include "infergraph.mirrorFilters" (list $ "grpc") | nindent 8 }} */}}
{{- define "infergraph.mirrorFilters" -}}
{{- $port := index . 1 }}
{{- range $p := (index . 0).Values.predictors }}
{{- with $p.shadow }}
- type: RequestMirror
  requestMirror:
    backendRef:
      {{- include "infergraph.backendRef" (list $p $port) | nindent 6 }}
    percent: {{ $p.mirrorPercent }}
{{- end }}
{{- end }}
{{- end }}

{{- /* Weighted backendRefs of a Gateway API route: every serving predictor with traffic > 0.
Usage: backendRefs: {{- include "infergraph.weightedBackends" (list $ "http") | nindent 8 }} */}}
{{- define "infergraph.weightedBackends" -}}
{{- $port := index . 1 }}
{{- range $p := (index . 0).Values.predictors }}
{{- with and (not $p.shadow) (gt (int $p.traffic) 0) }}
- {{- include "infergraph.backendRef" (list $p $port) | nindent 2 }}
  weight: {{ $p.traffic }}
{{- end }}
{{- end }}
{{- end }}

{{- /* A predictor's workloads, orchestrator first then nodes by name, as a YAML list.
Usage: {{- range $w := include "infergraph.workloads" $predictor | fromYamlArray }} */}}
{{- define "infergraph.workloads" -}}
{{- $all := list .orchestrator }}
{{- range .nodes }}{{ $all = append $all . }}{{ end }}
{{- toYaml $all }}
{{- end }}

{{- /* The Deployment of a workload (orchestrator or node: the shape is the same).
Usage: {{ include "infergraph.deployment" (list $ $workload) }} */}}
{{- define "infergraph.deployment" -}}
{{- $root := index . 0 }}{{ $w := index . 1 }}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "infergraph.metadata" (dict "root" $root "name" $w.fullname "labels" $w.labels "annotations" $w.annotations) | nindent 2 }}
spec:
  {{- with ne $w.replicas nil }}
  replicas: {{ $w.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- toYaml $w.selectorLabels | nindent 6 }}
  strategy:
    {{- toYaml $w.strategy | nindent 4 }}
  template:
    metadata:
      labels:
        {{- toYaml $w.podLabels | nindent 8 }}
      {{- with $w.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $root.Values.serviceAccount.name }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
      terminationGracePeriodSeconds: {{ $w.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $w.podSecurityContext | nindent 8 }}
      {{- include "infergraph.present" (pick $w "nodeSelector" "tolerations" "runtimeClassName" "initContainers" "volumes") | nindent 6 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - {{ include "infergraph.present" $w.container | indent 10 | trim }}
{{- end }}

{{- /* The ClusterIP Service of a workload, selecting exactly its pods.
Usage: {{ include "infergraph.service" (list $ $workload $workload.service.ports) }} */}}
{{- define "infergraph.service" -}}
{{- $root := index . 0 }}{{ $w := index . 1 }}{{ $ports := index . 2 }}
apiVersion: v1
kind: Service
metadata:
  {{- include "infergraph.metadata" (dict "root" $root "name" $w.fullname "labels" $w.labels "annotations" $w.annotations) | nindent 2 }}
spec:
  selector:
    {{- toYaml $w.selectorLabels | nindent 4 }}
  ports:
    {{- toYaml $ports | nindent 4 }}
{{- end }}

{{- /* The NetworkPolicy of a payload-log receiver (the log sink, a detector): its http port admits
the orchestrators of networkPolicy.logClients (none when no orchestrator logs to it), its
metrics port every scraper, as every workload's does.
Usage: {{ include "infergraph.receiverNetworkPolicy" (list $ $workload) }} */}}
{{- define "infergraph.receiverNetworkPolicy" -}}
{{- $root := index . 0 }}{{ $w := index . 1 }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "infergraph.metadata" (dict "root" $root "name" $w.fullname "labels" $w.labels "annotations" $w.annotations) | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- toYaml $w.selectorLabels | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    {{- with index $root.Values.networkPolicy.logClients $w.fullname }}
    - from:
        {{- range . }}
        - podSelector:
            matchLabels:
              {{- toYaml . | nindent 14 }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
    - ports:
        - port: metrics
          protocol: TCP
{{- end }}
