// infergraph: compiled values (docs/contract.md, `infergraph compile --to values`) to the
// Kubernetes objects the Helm chart charts/infergraph renders from the same values.
//
//   local ig = import 'infergraph.libsonnet';
//   ig.render(import 'values.json', namespace='models')
//
// Every object comes from a function of one `params` object (kube-prometheus style); override
// one with a mixin and `render` uses yours:
//
//   local mine = ig {
//     node(params):: super.node(params) + {
//       deployment+: { spec+: { template+: { metadata+: { annotations+: { team: 'a' } } } } },
//     },
//   };
//
// The values are explicit: nothing here defaults a compiled field. Optional fields are null,
// {} or [] and are left out of the objects, as the chart's `with` does.
local manifest = import 'manifest.libsonnet';
local names = import 'names.libsonnet';
local prototypes = import 'prototypes.libsonnet';

// Object order of the rendered list: kind order, then name (the contract's order).
local kindOrder = [
  'ServiceAccount',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
  'HorizontalPodAutoscaler',
  'ScaledObject',
  'TriggerAuthentication',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'DestinationRule',
  'VirtualService',
  'HTTPRoute',
  'GRPCRoute',
  'PeerAuthentication',
  'AuthorizationPolicy',
  'ServiceMonitor',
  'Pod',
];

local required = {
  values: error 'must provide values',
  namespace: error 'must provide namespace',
};

// The fields of o whose value is set: not null, not {} and not [] (the chart's `with`).
// Set: what Go templates' `with` takes as true (not null, false, 0, '', [] or {}).
local isSet(x) =
  !(x == null || x == false || x == 0 || x == '')
  && !((std.isObject(x) || std.isArray(x)) && std.length(x) == 0);
// Pairs in an array so that each field is evaluated once (the C++ binding does not cache fields).
local present(o) = {
  [kv[0]]: kv[1]
  for kv in [[k, o[k]] for k in std.objectFields(o)]
  if isSet(kv[1])
};

local metadata(name, namespace, labels, annotations) =
  present({ name: name, namespace: namespace, labels: labels, annotations: annotations });

// The selector of every pod of the graph (the chart's infergraph.graphSelector).
local graphSelector(v) = { 'app.kubernetes.io/instance': v.name };

// values without the null entries of `predictors` and `nodes` (all other entries are
// objects): `compile --to values` writes them for helm, to drop the chart's default graph.
local withoutNulls(values) =
  local predictors = present(values.predictors);
  values {
    predictors: { [p]: predictors[p] { nodes: present(super.nodes) } for p in std.objectFields(predictors) },
  };

local portOf(workload, name) =
  [p for p in workload.service.ports if p.name == name][0];

// What HTTPRoute and GRPCRoute share (the chart's infergraph.routeParents, mirrorFilters and
// weightedBackends): parents, hostnames, and one rule's backendRefs and mirror filters on the
// orchestrators' `port`; the routes add kind, matches and the rest.
local gatewayRoute(params) = {
  local c = self._config,
  local v = c.values,
  local preds = [v.predictors[k] for k in std.objectFields(v.predictors)],
  local backendRef(p) = { name: p.orchestrator.fullname, port: portOf(p.orchestrator, c.port).port },
  _config:: required + params,
  apiVersion: 'gateway.networking.k8s.io/v1',
  metadata: metadata(v.name, c.namespace, v.labels, v.annotations),
  spec: {
    parentRefs: [present(r) for r in v.gatewayApi.parentRefs],
    rule:: {
      backendRefs: [backendRef(p) { weight: p.traffic } for p in preds if !p.shadow && p.traffic > 0],
      filters: [
        { type: 'RequestMirror', requestMirror: { backendRef: backendRef(p), percent: p.mirrorPercent } }
        for p in preds
        if p.shadow
      ],
    },
  } + present({ hostnames: v.gatewayApi.hostnames }),
};

// A ClusterIP Service selecting exactly w's pods (w: a workload or values.graphService).
local service(c, w, ports) = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
  spec: { selector: w.selectorLabels, ports: ports },
};

local workloadObjects(c, w) = {
  local v = c.values,
  deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: (if w.replicas != null then { replicas: w.replicas } else {}) + {
      selector: { matchLabels: w.selectorLabels },
      strategy: w.strategy,
      template: {
        metadata: present({ labels: w.podLabels, annotations: w.podAnnotations }),
        spec: {
          serviceAccountName: v.serviceAccount.name,
          automountServiceAccountToken: v.serviceAccount.automountToken,
          terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
          securityContext: w.podSecurityContext,
          containers: [present(w.container)],
        } + present({
          nodeSelector: w.nodeSelector,
          tolerations: w.tolerations,
          runtimeClassName: w.runtimeClassName,
          initContainers: w.initContainers,
          volumes: w.volumes,
          imagePullSecrets: v.imagePullSecrets,
        }),
      },
    },
  },
  service: service(c, w, w.service.ports),
};

// A PersistentVolumeClaim from its values (the log sink's).
local claim(c, p) = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: metadata(p.fullname, c.namespace, p.labels, p.annotations),
  spec: {
    accessModes: p.accessModes,
    resources: { requests: { storage: p.storage } },
  } + present({ storageClassName: p.storageClassName }),
};

{
  names:: names,
  kindOrder:: kindOrder,

  // serviceAccount({values, namespace}): the graph's ServiceAccount.
  serviceAccount(params):: {
    local c = self._config,
    _config:: required + params,
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: metadata(c.values.serviceAccount.name, c.namespace, c.values.labels, c.values.annotations),
    automountServiceAccountToken: c.values.serviceAccount.automountToken,
  },

  // configMap({values, predictor, namespace}): the runtime graph the orchestrator reads.
  configMap(params):: {
    local c = self._config,
    local p = c.values.predictors[c.predictor],
    local w = p.orchestrator,
    _config:: required { predictor: error 'must provide predictor' } + params,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(p.fullname + '-graph', c.namespace, w.labels, w.annotations),
    data: { 'graph.json': p.runtimeJson },
  },

  // orchestrator({values, predictor, namespace}): {deployment, service} of a predictor's orchestrator.
  orchestrator(params)::
    local c = required { predictor: error 'must provide predictor' } + params;
    { _config:: c } + workloadObjects(c, c.values.predictors[c.predictor].orchestrator),

  // node({values, predictor, node, namespace}): {deployment, service} of one graph node.
  node(params)::
    local c = required {
      predictor: error 'must provide predictor',
      node: error 'must provide node',
    } + params;
    { _config:: c } + workloadObjects(c, c.values.predictors[c.predictor].nodes[c.node]),

  // detector({values, detector, namespace}): {deployment, service} of one detector.
  detector(params)::
    local c = required { detector: error 'must provide detector' } + params;
    { _config:: c } + workloadObjects(c, c.values.detectors[c.detector]),
  // logSink({values, namespace}): {deployment, service, persistentVolumeClaim} of the log sink.
  logSink(params)::
    local c = required + params;
    local s = c.values.logSink;
    { _config:: c } + workloadObjects(c, s.workload) + {
      persistentVolumeClaim: if s.persistentVolumeClaim != null then claim(c, s.persistentVolumeClaim),
    },

  // graphService({values, namespace}): every orchestrator behind one name, the Istio host.
  graphService(params)::
    local c = required + params;
    { _config:: c } + service(c, c.values.graphService, c.values.graphService.ports),

  // hpa({values, workload, namespace}): autoscaling/v2 on the workload's `autoscaling.hpa`.
  hpa(params):: {
    local c = self._config,
    local w = c.workload,
    local h = w.autoscaling.hpa,
    _config:: required { workload: error 'must provide workload' } + params,
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.fullname },
      minReplicas: h.minReplicas,
      maxReplicas: h.maxReplicas,
      metrics: h.metrics,
    } + present({ behavior: h.behavior }),
  },

  // scaledObject({values, workload, namespace}): a KEDA ScaledObject on the workload's
  // `autoscaling.keda`; KEDA makes and owns the HPA, so `hpa` is never rendered beside it.
  scaledObject(params):: {
    local c = self._config,
    local w = c.workload,
    local k = w.autoscaling.keda,
    _config:: required { workload: error 'must provide workload' } + params,
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.fullname },
      pollingInterval: k.pollingInterval,
      cooldownPeriod: k.cooldownPeriod,
      minReplicaCount: k.minReplicaCount,
      maxReplicaCount: k.maxReplicaCount,
      triggers: k.triggers,
    },
  },

  // triggerAuthentication({values, workload, name, namespace}): Secret keys for a KEDA trigger.
  triggerAuthentication(params):: {
    local c = self._config,
    local w = c.workload,
    _config:: required {
      workload: error 'must provide workload',
      name: error 'must provide name',
    } + params,
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: metadata(c.name, c.namespace, w.labels, w.annotations),
    spec: w.autoscaling.keda.triggerAuthentications[c.name],
  },

  // pdb({values, workload, namespace}): a PodDisruptionBudget for a workload.
  pdb(params):: {
    local c = self._config,
    local w = c.workload,
    _config:: required { workload: error 'must provide workload' } + params,
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: w.podDisruptionBudget { selector: { matchLabels: w.selectorLabels } },
  },

  // networkPolicy({values, predictor, workload, namespace}): who may reach a workload's pods.
  // Nodes: their predictor's orchestrator; orchestrators: the gateway namespaces and the graph.
  // Both: metrics from anywhere.
  networkPolicy(params):: {
    local c = self._config,
    local w = c.workload,
    local p = c.values.predictors[c.predictor],
    local graphPods = { podSelector: { matchLabels: graphSelector(c.values) } },
    local gateways = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }
      for ns in c.values.networkPolicy.gatewayNamespaces
    ],
    _config:: required {
      predictor: error 'must provide predictor',
      workload: error 'must provide workload',
    } + params,
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: {
      podSelector: { matchLabels: w.selectorLabels },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: if w.fullname == p.orchestrator.fullname then gateways + [graphPods]
          else [{ podSelector: { matchLabels: p.orchestrator.selectorLabels } }],
        },
        { ports: [{ port: 'metrics', protocol: 'TCP' }] },
      ],
    },
  },

  // receiverNetworkPolicy({values, workload, namespace}): who may reach a payload-log receiver
  // (the log sink, a detector): on http the orchestrators of networkPolicy.logClients (none when
  // no orchestrator logs to it), on metrics anyone.
  receiverNetworkPolicy(params):: {
    local c = self._config,
    local w = c.workload,
    local clients = c.values.networkPolicy.logClients[w.fullname],
    _config:: required { workload: error 'must provide workload' } + params,
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(w.fullname, c.namespace, w.labels, w.annotations),
    spec: {
      podSelector: { matchLabels: w.selectorLabels },
      policyTypes: ['Ingress'],
      ingress: (if clients == [] then [] else [{
                  from: [{ podSelector: { matchLabels: labels } } for labels in clients],
                  ports: [{ port: 'http', protocol: 'TCP' }],
                }])
               + [{ ports: [{ port: 'metrics', protocol: 'TCP' }] }],
    },
  },

  // virtualService({values, namespace}): weighted routes to the predictors, shadow mirrored.
  virtualService(params):: {
    local c = self._config,
    local v = c.values,
    local preds = [v.predictors[k] for k in std.objectFields(v.predictors)],
    local destination(p) = {
      host: v.graphService.fullname,
      subset: p.name,
      port: { number: portOf(p.orchestrator, 'http').port },
    },
    // The chart writes one mirror per shadow into the same route: the last one stays.
    local shadows = [p for p in preds if p.shadow],
    local shadow = if shadows == [] then null else shadows[std.length(shadows) - 1],
    _config:: required + params,
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: metadata(v.name, c.namespace, v.labels, v.annotations),
    spec: { hosts: v.istio.hosts } + present({ gateways: v.istio.gateways }) + {
      http: [{
        match: [{ uri: { prefix: v.routing.prefix } }],
        rewrite: { uri: '/' },
        route: [
          { destination: destination(p), weight: p.traffic }
          for p in preds
          if !p.shadow && p.traffic > 0
        ],
      } + present({
        mirror: if shadow != null then destination(shadow),
        mirrorPercentage: if shadow != null && isSet(shadow.mirrorPercent) then { value: shadow.mirrorPercent },
        retries: v.istio.retries,
        timeout: v.istio.timeout,
      })],
    },
  },

  // httpRoute({values, namespace}): Gateway API; the graph's prefix rewritten to /, a weighted
  // backendRef per serving predictor's orchestrator Service, the shadow mirrored by percent.
  httpRoute(params):: gatewayRoute(params { port: 'http' }) {
    local v = self._config.values,
    kind: 'HTTPRoute',
    spec+: {
      rules: [super.rule {
        matches: [{ path: { type: 'PathPrefix', value: v.routing.prefix } }],
        filters: [{
          type: 'URLRewrite',
          urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
        }] + super.filters,
      } + present({ timeouts: v.gatewayApi.timeouts })],
    },
  },

  // grpcRoute({values, namespace}): Gateway API; the gRPC port, matched by the graph's header,
  // with the HTTPRoute's weights and mirror.
  grpcRoute(params):: gatewayRoute(params { port: 'grpc' }) {
    local v = self._config.values,
    kind: 'GRPCRoute',
    spec+: {
      rules: [present(super.rule) {
        matches: [{ headers: v.gatewayApi.grpcHeaders }],
      }],
    },
  },

  // destinationRule({values, namespace}): one subset per predictor.
  destinationRule(params):: {
    local c = self._config,
    local v = c.values,
    _config:: required + params,
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: metadata(v.name, c.namespace, v.labels, v.annotations),
    spec: {
      host: v.graphService.fullname,
      subsets: [
        { name: p, labels: { 'infergraph.io/predictor': p } }
        for p in std.objectFields(v.predictors)
      ],
    },
  },

  // peerAuthentication({values, namespace}): mTLS STRICT for the graph's pods (their sidecars
  // enforce it), but on the ports of istio.portLevelMtls (metrics, scraped from outside the mesh).
  peerAuthentication(params):: {
    local c = self._config,
    local v = c.values,
    _config:: required + params,
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: metadata(v.name, c.namespace, v.labels, v.annotations),
    spec: {
      selector: { matchLabels: graphSelector(v) },
      mtls: { mode: 'STRICT' },
    } + present({ portLevelMtls: v.istio.portLevelMtls }),
  },

  // authorizationPolicy({values, namespace}): only the listed principals reach the orchestrators.
  authorizationPolicy(params):: {
    local c = self._config,
    local v = c.values,
    _config:: required + params,
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: metadata(v.name, c.namespace, v.labels, v.annotations),
    spec: {
      selector: { matchLabels: v.graphService.selectorLabels },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: v.istio.authorizationPolicy.principals } }] }],
    },
  },

  // serviceMonitor({values, namespace}): Prometheus Operator scraping of the graph's Services.
  serviceMonitor(params):: {
    local c = self._config,
    local v = c.values,
    _config:: required + params,
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: metadata(v.name, c.namespace, v.labels + v.serviceMonitor.labels, v.annotations),
    spec: {
      selector: { matchLabels: graphSelector(v) },
      namespaceSelector: { matchNames: [c.namespace] },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: v.serviceMonitor.interval }],
    },
  },

  // testPod({values, namespace}): the `helm test` hook that sends one prediction.
  testPod(params):: {
    local c = self._config,
    local v = c.values,
    local p = v.predictors[v.test.predictor],
    local o = p.orchestrator,
    local hook = { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
    _config:: required + params,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: metadata(v.name + '-test', c.namespace, v.labels, v.annotations + hook),
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: v.serviceAccount.name,
      automountServiceAccountToken: v.serviceAccount.automountToken,
      securityContext: o.podSecurityContext,
      containers: [{
        name: 'test',
        image: v.test.image,
        imagePullPolicy: o.container.imagePullPolicy,
        command: v.test.command,
        env: [
          { name: 'URL', value: v.test.url },
          { name: 'REQUEST', value: v.test.request },
        ],
        resources: o.container.resources,
        securityContext: o.container.securityContext,
      }],
    },
  },

  // render(values, namespace): every object of the graph, sorted by kind order then name.
  // `namespace` is used when values.namespace is null (helm's release namespace).
  render(values, namespace='default')::
    local v = withoutNulls(values);
    local ns = if v.namespace != null then v.namespace else namespace;
    local base = { values: v, namespace: ns };
    local predictors = std.objectFields(v.predictors);
    local workloads = [
      { predictor: p, workload: v.predictors[p].orchestrator }
      for p in predictors
    ] + [
      { predictor: p, workload: v.predictors[p].nodes[n] }
      for p in predictors
      for n in std.objectFields(v.predictors[p].nodes)
    ];
    local receivers = std.objectValues(v.detectors)
                      + (if v.logSink != null then [v.logSink.workload] else []);
    local scaled = [w for w in workloads if w.workload.autoscaling != null];
    local keda = [w for w in scaled if std.objectHas(w.workload.autoscaling, 'keda')];
    local objectsOf(group) = [o for o in std.objectValues(group) if o != null];
    local objects =
      (if v.serviceAccount.create then [self.serviceAccount(base)] else [])
      + [self.configMap(base { predictor: p }) for p in predictors]
      + [self.graphService(base)]
      + std.flattenArrays([objectsOf(self.orchestrator(base { predictor: p })) for p in predictors])
      + std.flattenArrays([
        objectsOf(self.node(base { predictor: p, node: n }))
        for p in predictors
        for n in std.objectFields(v.predictors[p].nodes)
      ])
      + std.flattenArrays([
        objectsOf(self.detector(base { detector: d }))
        for d in std.objectFields(v.detectors)
      ])
      + (if v.logSink != null then objectsOf(self.logSink(base)) else [])
      + [self.hpa(base + w) for w in scaled if std.objectHas(w.workload.autoscaling, 'hpa')]
      + [self.scaledObject(base + w) for w in keda]
      + [
        self.triggerAuthentication(base + w { name: n })
        for w in keda
        for n in std.objectFields(w.workload.autoscaling.keda.triggerAuthentications)
      ]
      + [self.pdb(base + w) for w in workloads if w.workload.podDisruptionBudget != null]
      + (if v.networkPolicy.enabled then [self.networkPolicy(base + w) for w in workloads] else [])
      + (if v.networkPolicy.enabled then [
           self.receiverNetworkPolicy(base { workload: w })
           for w in receivers
         ] else [])
      + (if v.istio.enabled then [self.destinationRule(base), self.virtualService(base)] else [])
      + (if v.gatewayApi.enabled then [self.httpRoute(base), self.grpcRoute(base)] else [])
      + (if v.istio.peerAuthentication then [self.peerAuthentication(base)] else [])
      + (if v.istio.authorizationPolicy.enabled then [self.authorizationPolicy(base)] else [])
      + (if v.serviceMonitor.enabled then [self.serviceMonitor(base)] else [])
      + (if v.test.enabled then [self.testPod(base)] else []);
    // Keys computed once, in arrays: std.sort calls keyF per comparison, and the C++ binding
    // evaluates an object field again on each access but an array element only once.
    local keyed = [
      [std.toString(100 + std.find(o.kind, kindOrder)[0]) + '/' + o.metadata.name, o]
      for o in objects
    ];
    [k[1] for k in std.sort(keyed, keyF=function(k) k[0])],
} + prototypes
