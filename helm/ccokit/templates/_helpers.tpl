{{/* Names, labels and the pieces every ccokit pod shares. */}}

{{- define "ccokit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ccokit.fullname" -}}
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

{{- define "ccokit.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ccokit.labels" -}}
helm.sh/chart: {{ include "ccokit.chart" . }}
{{ include "ccokit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ccokit
{{- end }}

{{- define "ccokit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ccokit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: pass (dict "ctx" $ "component" "web"). */}}
{{- define "ccokit.componentLabels" -}}
{{ include "ccokit.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ccokit.componentSelector" -}}
{{ include "ccokit.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ccokit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ccokit.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ccokit.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret the long-running pods read: the chart's own or the operator's. */}}
{{- define "ccokit.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "ccokit.fullname" . }}
{{- end }}
{{- end }}

{{/*
The Secret the migration Job reads. Hooks run before the release's ordinary resources exist,
so with the chart's own secrets the Job gets a hook Secret created just before it.
*/}}
{{- define "ccokit.migrationSecretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-migrate" (include "ccokit.fullname" .) }}
{{- end }}
{{- end }}

{{- define "ccokit.webServiceName" -}}
{{- printf "%s-web" (include "ccokit.fullname" .) }}
{{- end }}

{{/* Non-secret CCOKIT_* variables, shared by the ConfigMap and the migration Job. */}}
{{- define "ccokit.configEnv" -}}
CCOKIT_ENV: {{ .Values.config.env | quote }}
CCOKIT_BASE_URL: {{ .Values.config.baseUrl | quote }}
CCOKIT_STORAGE_URL: {{ .Values.config.storageUrl | quote }}
CCOKIT_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
CCOKIT_TRUSTED_PROXIES: {{ .Values.config.trustedProxies | quote }}
CCOKIT_SIGNUP_PLAN: {{ .Values.config.signupPlan | quote }}
CCOKIT_WEB_WORKERS: {{ .Values.web.gunicornWorkers | quote }}
CCOKIT_WEB_THREADS: {{ .Values.web.gunicornThreads | quote }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
Secret variables by key, so each pod gets exactly the keys it needs: the migration owner's URL
only reaches the migration Job. Pass (dict "ctx" $ "secret" NAME "migration" BOOL).
*/}}
{{- define "ccokit.secretEnv" -}}
{{- $required := list "CCOKIT_SECRET_KEY" "CCOKIT_DATABASE_URL" "CCOKIT_REDIS_URL" }}
{{- $optional := list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" }}
{{- if .migration }}
{{- $optional = prepend $optional "CCOKIT_MIGRATION_DATABASE_URL" }}
{{- end }}
{{- range $required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secret }}
      key: {{ . }}
{{- end }}
{{- range $optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end }}

{{/* Checksums that roll the pods when configuration or chart-managed secrets change. */}}
{{- define "ccokit.configChecksums" -}}
checksum/config: {{ include "ccokit.configEnv" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ toJson .Values.secrets | sha256sum }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every ccokit pod. */}}
{{- define "ccokit.podSpecCommon" -}}
serviceAccountName: {{ include "ccokit.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{- define "ccokit.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{- define "ccokit.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Exec probes of a process without HTTP: its heartbeat file must be fresh. */}}
{{- define "ccokit.heartbeatProbes" -}}
startupProbe:
  exec:
    command: ["ccokit", "probe", "--heartbeat-file", "/tmp/ccokit/heartbeat", "--max-age", {{ .maxAge | quote }}]
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: 60
livenessProbe:
  exec:
    command: ["ccokit", "probe", "--heartbeat-file", "/tmp/ccokit/heartbeat", "--max-age", {{ .maxAge | quote }}]
  periodSeconds: 30
  timeoutSeconds: 5
  failureThreshold: 3
readinessProbe:
  exec:
    command: ["ccokit", "probe", "--heartbeat-file", "/tmp/ccokit/heartbeat", "--max-age", {{ .maxAge | quote }}]
  periodSeconds: 30
  timeoutSeconds: 5
  failureThreshold: 1
{{- end }}

{{/* The chart's own secret data. Pass (dict "ctx" $ "migration" BOOL). */}}
{{- define "ccokit.secretData" -}}
{{- $s := .ctx.Values.secrets -}}
CCOKIT_SECRET_KEY: {{ $s.secretKey | quote }}
CCOKIT_DATABASE_URL: {{ $s.databaseUrl | quote }}
CCOKIT_REDIS_URL: {{ $s.redisUrl | quote }}
{{- if and .migration $s.migrationDatabaseUrl }}
CCOKIT_MIGRATION_DATABASE_URL: {{ $s.migrationDatabaseUrl | quote }}
{{- end }}
{{- if $s.awsAccessKeyId }}
AWS_ACCESS_KEY_ID: {{ $s.awsAccessKeyId | quote }}
AWS_SECRET_ACCESS_KEY: {{ $s.awsSecretAccessKey | quote }}
{{- end }}
{{- end }}

{{/* nodeSelector, affinity, tolerations of one process: pass its values section. */}}
{{- define "ccokit.placement" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
A Deployment of a process without a port (workers, relay, scheduler), probed by its heartbeat.
Pass (dict "ctx" $ "component" NAME "command" LIST "replicas" INT-or-nil "recreate" BOOL
"resources" MAP "maxAge" SECONDS "section" VALUES-SECTION "grace" SECONDS "labels" MAP).
*/}}
{{- define "ccokit.processDeployment" -}}
{{- $ctx := .ctx }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ printf "%s-%s" (include "ccokit.fullname" $ctx) .component }}
  labels:
    {{- include "ccokit.componentLabels" (dict "ctx" $ctx "component" .component) | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if .recreate }}
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "ccokit.componentSelector" (dict "ctx" $ctx "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "ccokit.componentSelector" (dict "ctx" $ctx "component" .component) | nindent 8 }}
      annotations:
        {{- include "ccokit.configChecksums" $ctx | nindent 8 }}
        {{- with .section.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "ccokit.podSpecCommon" $ctx | nindent 6 }}
      terminationGracePeriodSeconds: {{ .grace }}
      containers:
        - name: {{ .container }}
          image: {{ include "ccokit.image" $ctx }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          command:
            {{- toYaml .command | nindent 12 }}
          env:
            {{- include "ccokit.secretEnv" (dict "ctx" $ctx "secret" (include "ccokit.secretName" $ctx) "migration" false) | nindent 12 }}
          envFrom:
            - configMapRef:
                name: {{ include "ccokit.fullname" $ctx }}
          {{- include "ccokit.heartbeatProbes" (dict "maxAge" .maxAge) | nindent 10 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- toYaml $ctx.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "ccokit.tmpMount" $ctx | nindent 12 }}
      volumes:
        {{- include "ccokit.tmpVolume" $ctx | nindent 8 }}
      {{- include "ccokit.placement" .section | nindent 6 }}
{{- end }}
