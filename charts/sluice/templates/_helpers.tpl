{{/* Chart name, truncated to a DNS label. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the chart's objects: "<release>-<chart>", or the release name when it already holds the chart name. */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of the chart. managed-by is Helm: the operator's informers select
app.kubernetes.io/managed-by=sluice-operator, so they never see (or touch) the chart's objects.
*/}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* The labels that select the operator pods (immutable in a Deployment). */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image block {repository, tag, digest} resolved against its parent's (already resolved):
empty fields come from the parent; the parent's digest is kept only when the block names
neither a repository nor a tag of its own. Returns YAML of the resolved block.
*/}}
{{- define "sluice.resolveImage" -}}
{{- $image := .image }}
{{- $parent := .parent }}
{{- $digest := $image.digest }}
{{- if and (not $digest) (not $image.repository) (not $image.tag) }}
{{- $digest = $parent.digest }}
{{- end }}
{{- toYaml (dict "repository" (default $parent.repository $image.repository) "tag" (default $parent.tag $image.tag) "digest" (default "" $digest)) }}
{{- end }}

{{/* "<repository>@<digest>" when a digest is set, else "<repository>:<tag>". */}}
{{- define "sluice.imageRef" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository .tag }}
{{- end }}
{{- end }}

{{/* The chart's image (the operator's), the tag defaulting to the chart's appVersion. */}}
{{- define "sluice.image" -}}
{{- toYaml (dict "repository" .Values.image.repository "tag" (default .Chart.AppVersion .Values.image.tag) "digest" (default "" .Values.image.digest)) }}
{{- end }}

{{- define "sluice.stableImageBlock" -}}
{{- include "sluice.resolveImage" (dict "image" .Values.gateway.stable.image "parent" (include "sluice.image" . | fromYaml)) }}
{{- end }}

{{- define "sluice.operatorImage" -}}
{{- include "sluice.imageRef" (include "sluice.image" . | fromYaml) }}
{{- end }}

{{- define "sluice.stableImage" -}}
{{- include "sluice.imageRef" (include "sluice.stableImageBlock" . | fromYaml) }}
{{- end }}

{{/* The canary image, or "" when the canary track runs the stable image (the operator's default). */}}
{{- define "sluice.canaryImage" -}}
{{- $canary := .Values.gateway.canary.image }}
{{- if or $canary.repository $canary.tag $canary.digest }}
{{- include "sluice.imageRef" (include "sluice.resolveImage" (dict "image" $canary "parent" (include "sluice.stableImageBlock" . | fromYaml)) | fromYaml) }}
{{- end }}
{{- end }}

{{/* Checks of values the schema cannot express; each fails the render with a clear message. */}}
{{- define "sluice.validate" -}}
{{- if and (gt (int .Values.operator.replicas) 1) (not .Values.operator.leaderElection.enabled) }}
{{- fail "operator.replicas above 1 requires operator.leaderElection.enabled: two operators without a leader would fight over the same objects" }}
{{- end }}
{{- if and (eq .Values.rbac.scope "namespaced") (empty .Values.operator.watchNamespaces) }}
{{- fail "rbac.scope namespaced requires operator.watchNamespaces: an operator watching every namespace needs rbac.scope cluster" }}
{{- end }}
{{- if and .Values.routes.parentRefs (ne .Values.routes.provider "gateway-api") }}
{{- fail "routes.parentRefs applies to routes.provider gateway-api only" }}
{{- end }}
{{- if and .Values.routes.ingressClassName (ne .Values.routes.provider "apisix") }}
{{- fail "routes.ingressClassName applies to routes.provider apisix only" }}
{{- end }}
{{- end }}

{{/*
The operator's rules in a watched namespace (the whole cluster with rbac.scope cluster), read
off its code: informers list and watch (it never gets an object by name); everything it owns
is written by server-side apply, a PATCH that needs create as well when the object is new;
it deletes what is no longer wanted; statuses are applied on the status subresource; Events
are core/v1 creates; GatewayFleets are read like LogRepos, and the autoscalers they ask for
are owned like the Deployments. Only the kinds of the chosen provider are granted (APISIX: routes, and the
upstreams that make it speak HTTPS to gateways with listener TLS). No Secrets: gateway
pods mount them by name, the operator never reads one.
*/}}
{{- define "sluice.operatorRules" -}}
- apiGroups: ["sluice.dev"]
  resources: ["logrepos", "kafkaproducers", "gatewayfleets"]
  verbs: ["list", "watch"]
- apiGroups: ["sluice.dev"]
  resources: ["logrepos/status", "kafkaproducers/status", "gatewayfleets/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["configmaps", "services"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# The autoscalers of the tracks a GatewayFleet autoscales.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list", "watch", "create", "patch", "delete"]
# Read only: the gateway pods' addresses, which the operator polls for /status and /metrics.
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
{{- if .Values.gateway.networkPolicy.enabled }}
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list", "watch", "create", "patch", "delete"]
{{- end }}
{{- if eq .Values.routes.provider "apisix" }}
- apiGroups: ["apisix.apache.org"]
  resources: ["apisixroutes", "apisixupstreams"]
  verbs: ["list", "watch", "create", "patch", "delete"]
{{- else if eq .Values.routes.provider "gateway-api" }}
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["list", "watch", "create", "patch", "delete"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
