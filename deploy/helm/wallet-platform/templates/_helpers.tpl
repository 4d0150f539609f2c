{{/* Labels on every object: the service's name, the platform, the release and the chart. */}}
{{- define "wallet-platform.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: wallet-platform
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 }}
{{- end }}

{{/* Selector labels: the service's name only, as the NetworkPolicies and the kustomize base select pods. */}}
{{- define "wallet-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
{{- end }}

{{/* The image of a service: [registry/]repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "wallet-platform.image" -}}
{{- $values := .root.Values -}}
{{- $service := index $values .name -}}
{{- $tag := $service.image.tag | default $values.image.tag | default .root.Chart.AppVersion -}}
{{- $registry := $values.image.registry -}}
{{- if $registry -}}
{{ printf "%s/%s:%s" (trimSuffix "/" $registry) $service.image.repository $tag }}
{{- else -}}
{{ printf "%s:%s" $service.image.repository $tag }}
{{- end -}}
{{- end }}

{{/* Pod security context: uid 1000, non-root, RuntimeDefault seccomp. */}}
{{- define "wallet-platform.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container security context: read-only root, no privilege escalation, no capabilities. */}}
{{- define "wallet-platform.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Variables read from the credentials Secret, for a service: its keys, the shared JWT and NATS keys, then its optional keys. */}}
{{- define "wallet-platform.secretEnv" -}}
{{- $credentials := .root.Values.credentials -}}
{{- $keys := index $credentials.keys .name -}}
{{- if has .name (list "wallet" "gateway") }}{{ $keys = concat $keys $credentials.jwtKeys }}{{ end -}}
{{- $keys = concat $keys $credentials.natsKeys | uniq -}}
{{- range $keys }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $credentials.secretName }}
      key: {{ . }}
{{- end }}
{{- range (index $credentials.optionalKeys .name) }}
{{- if not (has . $keys) }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $credentials.secretName }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}
{{- end }}

{{/* Scheduling settings shared by the three Deployments. */}}
{{- define "wallet-platform.scheduling" -}}
{{- with .service.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .service.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .service.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "wallet-platform.selectorLabels" . | nindent 8 }}
{{- end }}

{{/* Rolls the pods when their ConfigMap (or a Secret the chart renders) changes. */}}
{{- define "wallet-platform.checksums" -}}
checksum/config: {{ include (print .root.Template.BasePath "/" .name "/configmap.yaml") .root | sha256sum }}
{{- if .root.Values.credentials.create }}
checksum/credentials: {{ include (print .root.Template.BasePath "/credentials-secret.yaml") .root | sha256sum }}
{{- end }}
{{- end }}

{{/* The wallet's headless Service name in the release's namespace, for the gateway's dns:/// resolver. */}}
{{- define "wallet-platform.walletGrpcUrl" -}}
{{- printf "dns:///wallet-headless.%s.svc.cluster.local:%v" .Release.Namespace .Values.wallet.ports.grpc -}}
{{- end }}
