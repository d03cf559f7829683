// ksonnet-style prototypes: write a graph by hand in jsonnet, get the values document
// `infergraph compile --to values` would write for the same graph (docs/contract.md), then
// `render` it. Every default comes from defaults.libsonnet, generated from the compiler's.
//
//   local ig = import 'infergraph.libsonnet';
//   ig.render(ig.withCanary(ig.serveSimple('iris', modelUri='gs://bucket/iris'),
//                           { name: 'classifier', modelUri: 'gs://bucket/iris-v2' }, 10))
//
// A model, where a prototype takes one, is an object:
//   name      string  node name (DNS-1123)                  default 'classifier'
//   modelUri  string  served by SKLEARN_SERVER (pvc://, gs://, s3://, https://, file://, path)
//   image     string  a custom Seldon-protocol image instead of modelUri (exactly one of the two)
//   gpus      int     nvidia.com/gpu limit                   default 0
//   replicas  int     node replicas                         default: the predictor's (1)
local d = import 'defaults.libsonnet';
local manifest = import 'manifest.libsonnet';
local names = import 'names.libsonnet';
local sha256 = import 'sha256.libsonnet';
local k = d.constants;

local isWhole(x) = std.isNumber(x) && x == std.floor(x);

local model(m) =
  local spec = { name: 'classifier', modelUri: null, image: null, gpus: 0, replicas: null } + m;
  local where = 'model "%s"' % spec.name;
  assert (spec.modelUri == null) != (spec.image == null) :
         where + ': give exactly one of modelUri and image';
  assert isWhole(spec.gpus) && spec.gpus >= 0 :
         'gpus: %s is not a whole number >= 0 (%s)' % [std.toString(spec.gpus), where];
  assert spec.replicas == null || (isWhole(spec.replicas) && spec.replicas >= 0) :
         'replicas: %s is not a whole number >= 0 (%s)' % [std.toString(spec.replicas), where];
  {
    name: spec.name,
    type: 'MODEL',
    implementation: if spec.modelUri != null then d.prepackaged.model else null,
    modelUri: spec.modelUri,
    image: spec.image,
    gpus: spec.gpus,
    replicas: spec.replicas,
    parameters: [],
    children: [],
  };

local fraction(key, x) =
  assert std.isNumber(x) && x >= 0 && x <= 1 :
         '%s: %s is not a number between 0 and 1' % [key, std.toString(x)];
  x;

// The Seldon wire text of a parameter value, as the compiler writes it (Python's str()).
local parameter(name, type, value) = {
  name: name,
  type: type,
  value: if type == 'FLOAT' && isWhole(value) then std.toString(value) + '.0'
  else if type == 'FLOAT' then manifest.number(value)
  else std.toString(value),
};

local router(name, implementation, type, parameters, children) =
  local seen = [c.name for c in children];
  assert std.length(std.set(seen)) == std.length(seen) && !std.member(seen, name) :
         'models: node names %s must differ from each other and from "%s"' % [std.toString(seen), name];
  {
    name: name,
    type: type,
    implementation: implementation,
    modelUri: null,
    image: null,
    gpus: 0,
    replicas: null,
    parameters: parameters,
    children: children,
  };

local walk(n) = [n] + std.flattenArrays([walk(c) for c in n.children]);

local sortedEnv(settings) = [{ name: key, value: settings[key] } for key in std.objectFields(settings)];

local ports = {
  INFERGRAPH_HTTP_PORT: std.toString(k.HTTP_PORT),
  INFERGRAPH_GRPC_PORT: std.toString(k.GRPC_PORT),
  INFERGRAPH_METRICS_PORT: std.toString(k.METRICS_PORT),
  INFERGRAPH_WORKERS: std.toString(k.WORKERS),
};

// A URI's scheme (lowercased), netloc and path, as Python's urllib.parse.urlsplit finds them
// (the compiler's storage.py uses it): the query and fragment are not part of the path.
// std.split and std.stripChars rather than character loops: go-jsonnet runs those natively.
local letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
local urlsplit(uri) =
  local colon = std.splitLimit(uri, ':', 1);
  local head = colon[0];
  local isScheme = std.length(colon) == 2 && head != '' && std.stripChars(head[0], letters) == ''
                   && std.stripChars(head, letters + '0123456789+-.') == '';
  local afterScheme = if isScheme then colon[1] else uri;
  local hasNetloc = std.startsWith(afterScheme, '//');
  local rest = if hasNetloc then std.substr(afterScheme, 2, std.length(afterScheme)) else afterScheme;
  local netloc = if hasNetloc then std.split(std.split(std.split(rest, '/')[0], '?')[0], '#')[0] else '';
  local tail = std.substr(rest, std.length(netloc), std.length(rest));
  {
    scheme: if isScheme then std.asciiLower(head) else '',
    netloc: netloc,
    path: std.split(std.split(tail, '#')[0], '?')[0],
  };

// What the pod needs for a modelUri (compile/storage.py): a path, volumes, init containers.
local noStorage = { path: null, volumes: [], mounts: [], initContainers: [] };
local storage(uri) =
  if uri == null then noStorage else
    local parts = urlsplit(uri);
    if parts.scheme == 'pvc' then
      d.storage.pvc {
        path: k.PVC_MOUNT_PATH + parts.path,
        volumes: [v { persistentVolumeClaim+: { claimName: parts.netloc } } for v in super.volumes],
      }
    else if std.member(d.remoteSchemes, parts.scheme) then
      d.storage.remote {
        initContainers: [c { args: [uri, c.args[1]] } for c in super.initContainers],
      }
    else noStorage { path: if parts.scheme == 'file' then parts.path else uri };

local resources(base, gpus) = {
  requests: base.requests,
  limits: base.limits + (if gpus > 0 then { [k.GPU_RESOURCE]: std.toString(gpus) } else {}),
};

local workload(w) =
  local container = {
    name: w.name,
    image: w.image,
    imagePullPolicy: k.IMAGE_PULL_POLICY,
    command: null,
    args: w.args,
    env: w.env,
    ports: d.containerPorts,
    resources: w.resources,
    lifecycle: { preStop: { sleep: { seconds: k.PRE_STOP_SECONDS } } },
    securityContext: d.containerSecurityContext,
    volumeMounts: [d.scratch.mount] + w.mounts,
  } + w.probes;
  {
    name: w.name,
    fullname: w.fullname,
    labels: w.labels,
    selectorLabels: w.selectorLabels,
    annotations: {},
    podLabels: w.labels,
    podAnnotations: d.prometheusAnnotations + w.podAnnotations,
    replicas: w.replicas,
    strategy: if w.gpus > 0 then d.strategy.gpu else d.strategy.cpu,
    terminationGracePeriodSeconds: k.TERMINATION_GRACE_PERIOD_SECONDS,
    podSecurityContext: d.podSecurityContext,
    nodeSelector: {},
    tolerations: if w.gpus > 0 then [d.gpuToleration] else [],
    runtimeClassName: null,
    initContainers: w.initContainers,
    volumes: [d.scratch.volume] + w.volumes,
    container: container,
    service: { ports: d.servicePorts },
    autoscaling: null,
    podDisruptionBudget: null,
  };

// spec {name, predictors: [{name, traffic, shadow, replicas, root}]} to the values document.
local compile(spec) =
  local G = spec.name;
  local graphLabels = {
    'app.kubernetes.io/name': 'infergraph',
    'app.kubernetes.io/instance': G,
    'infergraph.io/graph': G,
  };
  local mains = [p for p in spec.predictors if !p.shadow];
  local given = std.foldl(function(sum, p) sum + (if p.traffic == null then 0 else p.traffic), mains, 0);
  local weight(p) =
    if p.shadow then 0 else if std.length(mains) == 1 then 100
    else if p.traffic != null then p.traffic else 100 - given;
  local weights = { [p.name]: weight(p) for p in spec.predictors };
  local total = std.foldl(function(sum, p) sum + weights[p.name], mains, 0);
  local selector(P, node) = {
    'app.kubernetes.io/instance': G,
    'app.kubernetes.io/component': if node == null then 'orchestrator' else 'node',
    'infergraph.io/predictor': P,
  } + (if node == null then {} else { 'infergraph.io/node': node });
  local orchestrators = { 'app.kubernetes.io/instance': G, 'app.kubernetes.io/component': 'orchestrator' };
  local image(n) = if n.implementation != null then d.images[n.implementation] else n.image;
  local probes(n) = if n.implementation != null then d.probes.v2 else d.probes.seldon;
  local runtimeNode(P, n) = {
    name: n.name,
    type: n.type,
    implementation: n.implementation,
    image: image(n),
    host: names.fullname([G, P, n.name]),
    httpPort: k.HTTP_PORT,
    grpcPort: k.GRPC_PORT,
    protocol: if std.member(['ROUTER', 'COMBINER'], n.type) then 'seldon' else k.DEFAULT_PROTOCOL,
    readinessPath: probes(n).readinessProbe.httpGet.path,
    fallback: false,
    timeoutMs: k.NODE_TIMEOUT_MS,
    retries: k.NODE_RETRIES,
    logger: null,
    children: [runtimeNode(P, c) for c in n.children],
  };
  local nodeWorkload(p, n) =
    local prepackaged = n.implementation != null;
    local store = storage(n.modelUri);
    local params = manifest.compact(n.parameters);
    workload({
      name: n.name,
      fullname: names.fullname([G, p.name, n.name]),
      labels: graphLabels + selector(p.name, n.name),
      selectorLabels: selector(p.name, n.name),
      image: image(n),
      args: if prepackaged then ['component'] else null,
      env: sortedEnv(ports {
                       INFERGRAPH_NAME: n.name,
                       INFERGRAPH_TYPE: n.type,
                       INFERGRAPH_PARAMETERS: params,
                     } + (if prepackaged then { INFERGRAPH_IMPLEMENTATION: n.implementation } else {
                            PREDICTIVE_UNIT_ID: n.name,
                            PREDICTIVE_UNIT_PARAMETERS: params,
                            PREDICTIVE_UNIT_HTTP_SERVICE_PORT: std.toString(k.HTTP_PORT),
                            PREDICTIVE_UNIT_GRPC_SERVICE_PORT: std.toString(k.GRPC_PORT),
                            PREDICTIVE_UNIT_METRICS_SERVICE_PORT: std.toString(k.METRICS_PORT),
                            PREDICTOR_ID: p.name,
                            SELDON_DEPLOYMENT_ID: G,
                          })
                     + (if prepackaged && n.gpus > 0 then { INFERGRAPH_GPUS: std.toString(n.gpus) } else {})
                     + (if store.path != null then { INFERGRAPH_MODEL_URI: store.path } else {})),
      resources: resources(k.NODE_RESOURCES, n.gpus),
      probes: probes(n),
      replicas: if n.replicas != null then n.replicas else p.replicas,
      gpus: n.gpus,
      podAnnotations: {},
      volumes: store.volumes,
      mounts: store.mounts,
      initContainers: store.initContainers,
    });
  local predictor(p) =
    local fullname = names.fullname([G, p.name]);
    local runtime = {
      graph: G,
      predictor: p.name,
      predictorVersion: '',  // prototypes set no `version` annotation
      protocol: k.DEFAULT_PROTOCOL,
      transport: k.DEFAULT_TRANSPORT,
      maxConcurrency: k.MAX_CONCURRENCY,
      maxBodyBytes: k.MAX_BODY_BYTES,
      probePeriodMs: k.NODE_PROBE_PERIOD_MS,
      probeTimeoutMs: k.PROBE_TIMEOUT_SECONDS * 1000,
      probeFailureThreshold: k.PROBE_FAILURE_THRESHOLD,
      logging: null,
      root: runtimeNode(p.name, p.root),
    };
    // Locals, not fields: the C++ binding evaluates a field again on every access.
    local runtimeJson = manifest.compact(runtime);
    local hash = sha256.hex(runtimeJson);
    local nodes = [[n.name, nodeWorkload(p, n)] for n in walk(p.root)];
    local orchestrator = workload({
      name: 'orchestrator',
      fullname: fullname,
      labels: graphLabels + selector(p.name, null),
      selectorLabels: selector(p.name, null),
      image: k.SERVER_IMAGE,
      args: ['orchestrator', '--graph', k.GRAPH_MOUNT_PATH + '/graph.json'],
      env: sortedEnv(ports),
      resources: resources(k.ORCHESTRATOR_RESOURCES, 0),
      probes: d.probes.v2,
      replicas: p.replicas,
      gpus: 0,
      podAnnotations: { 'infergraph.io/config-hash': hash },
      volumes: [{ name: 'graph', configMap: { name: fullname + '-graph' } }],
      mounts: [{ name: 'graph', mountPath: k.GRAPH_MOUNT_PATH, readOnly: true }],
      initContainers: [],
    });
    {
      name: p.name,
      fullname: fullname,
      traffic: weights[p.name],
      shadow: p.shadow,
      mirrorPercent: if p.shadow then (if p.traffic == null || p.traffic == 0 then 100 else p.traffic) else null,
      runtimeJson: runtimeJson,
      orchestrator: orchestrator,
      nodes: { [n[0]]: n[1] for n in nodes },
    };
  local predictors = [[p.name, predictor(p)] for p in spec.predictors];
  local prefix = '/' + k.ISTIO_PREFIX_ROOT + '/' + G + '/';
  local top = std.foldl(function(a, b) if weights[b] > weights[a] then b else a,
                        std.objectFields(weights),
                        std.objectFields(weights)[0]);
  assert total == 100 :
         'traffic: the predictors %s take %d%%; their traffic must sum to 100'
         % [std.toString([p.name for p in mains]), total];
  {
    spec:: spec,
    name: G,
    namespace: null,
    protocol: k.DEFAULT_PROTOCOL,
    transport: k.DEFAULT_TRANSPORT,
    labels: graphLabels,
    annotations: {},
    serviceAccount: { create: true, name: G, automountToken: false },
    imagePullSecrets: [],
    routing: { prefix: prefix },
    istio: {
      enabled: true,
      gateways: k.ISTIO_GATEWAYS,
      hosts: k.ISTIO_HOSTS,
      retries: null,
      timeout: null,
      peerAuthentication: false,
      portLevelMtls: {},
      authorizationPolicy: { enabled: false, principals: [] },
    },
    gatewayApi: {
      enabled: false,
      parentRefs: [],
      hostnames: [],
      timeouts: null,
      grpcHeaders: [{ name: k.GRPC_ROUTE_HEADER, value: G }],
    },
    networkPolicy: {
      enabled: false,
      gatewayNamespaces: [k.NETWORK_POLICY_GATEWAY_NAMESPACE],
      logClients: {},  // a prototype deploys no log receivers
    },
    serviceMonitor: { enabled: false, interval: k.SERVICE_MONITOR_INTERVAL, labels: {} },
    test: d.test {
      predictor: top,
      // String concatenation: std.format costs milliseconds in go-jsonnet.
      gatewayPath: prefix + std.substr(d.test.path, 1, std.length(d.test.path)),
      url: 'http://' + names.fullname([G, top]) + ':' + k.HTTP_PORT + d.test.path,
    },
    graphService: {
      fullname: G,
      labels: graphLabels + orchestrators,
      annotations: {},
      selectorLabels: orchestrators,
      ports: d.servicePorts,
    },
    logSink: null,
    predictors: { [p[0]]: p[1] for p in predictors },
    detectors: {},  // a prototype declares no detectors (spec.detectors is compiled only)
  };

local graph(name, root, replicas=k.REPLICAS) = compile({
  name: name,
  predictors: [{ name: 'main', traffic: null, shadow: false, replicas: replicas, root: root }],
});

// The spec a prototype's values were compiled from, which the with* functions extend.
local specOf(g) =
  assert std.objectHasAll(g, 'spec') : 'graph: not made by a prototype (serveSimple, abTest, ...)';
  g.spec;

local plus(g, predictor) =
  local spec = specOf(g);
  assert !std.member([p.name for p in spec.predictors], predictor.name) :
         'graph: already has a predictor "%s"' % predictor.name;
  compile(spec { predictors: [
    // A new main predictor takes its share from the mains; a shadow keeps its mirror share.
    p { traffic: if predictor.shadow || p.shadow then p.traffic else 100 - predictor.traffic }
    for p in super.predictors
  ] + [predictor] });

{
  /**
   * serveSimple(name, modelUri=null, image=null, replicas=1, gpus=0): one model.
   *
   * @param name     string  graph name G (DNS-1123 label); objects are named G-main...
   * @param modelUri string  model location served by SKLEARN_SERVER     (or image)
   * @param image    string  custom Seldon-protocol image                (or modelUri)
   * @param replicas int     replicas of the model and its orchestrator  default 1
   * @param gpus     int     nvidia.com/gpu per model pod, >= 0          default 0
   * @return values document (docs/contract.md)
   */
  serveSimple(name, modelUri=null, image=null, replicas=k.REPLICAS, gpus=0)::
    graph(name, model({ modelUri: modelUri, image: image, gpus: gpus }), replicas),

  /**
   * abTest(name, a, b, ratioA=0.5): RANDOM_ABTEST router "ab" over two models.
   *
   * @param name   string  graph name
   * @param a      model   first child (gets ratioA of the requests)
   * @param b      model   second child
   * @param ratioA number  share of requests to a, 0..1                  default 0.5
   */
  abTest(name, a, b, ratioA=0.5)::
    graph(name, router('ab',
                       d.prepackaged.abTest,
                       'ROUTER',
                       [parameter('ratioA', 'FLOAT', fraction('ratioA', ratioA))],
                       [model(a), model(b)])),

  /**
   * multiArmedBandit(name, models, epsilon=0.1): EPSILON_GREEDY router "bandit".
   *
   * @param name    string        graph name
   * @param models  array[model]  the arms, at least two
   * @param epsilon number        exploration rate, 0..1                default 0.1
   */
  multiArmedBandit(name, models, epsilon=0.1)::
    assert std.isArray(models) && std.length(models) >= 2 : 'models: give at least two models';
    graph(name, router('bandit', d.prepackaged.bandit, 'ROUTER', [
      parameter('n_branches', 'INT', std.length(models)),
      parameter('epsilon', 'FLOAT', fraction('epsilon', epsilon)),
    ], [model(m) for m in models])),

  /**
   * ensemble(name, models): AVERAGE_COMBINER "average" over models called concurrently.
   *
   * @param name   string        graph name
   * @param models array[model]  at least two
   */
  ensemble(name, models)::
    assert std.isArray(models) && std.length(models) >= 2 : 'models: give at least two models';
    graph(name, router('average', d.prepackaged.combiner, 'COMBINER', [], [model(m) for m in models])),

  /**
   * withShadow(graph, shadow): add predictor "shadow", mirrored every request.
   *
   * @param graph  values  made by a prototype
   * @param shadow model   the shadow's model
   */
  withShadow(graph, shadow)::
    plus(graph, { name: 'shadow', traffic: null, shadow: true, replicas: k.REPLICAS, root: model(shadow) }),

  /**
   * withCanary(graph, canary, percent): add predictor "canary" taking percent of the traffic.
   *
   * @param graph   values  made by a prototype, one main predictor
   * @param canary  model   the canary's model
   * @param percent int     0..100; the main predictor keeps 100 - percent
   */
  withCanary(graph, canary, percent)::
    assert isWhole(percent) && percent >= 0 && percent <= 100 :
           'percent: %s is not a whole number between 0 and 100' % std.toString(percent);
    plus(graph, { name: 'canary', traffic: percent, shadow: false, replicas: k.REPLICAS, root: model(canary) }),

  /**
   * withTraffic(graph, traffic): set the traffic share of named predictors.
   *
   * @param graph   values  made by a prototype
   * @param traffic object  predictor name -> percent; the non-shadow shares must sum to 100
   */
  withTraffic(graph, traffic)::
    local spec = specOf(graph);
    local known = [p.name for p in spec.predictors];
    local unknown = [name for name in std.objectFields(traffic) if !std.member(known, name)];
    assert unknown == [] : 'traffic: no predictor %s; predictors: %s' % [std.toString(unknown), std.toString(known)];
    compile(spec {
      predictors: [
        p { traffic: if std.objectHas(traffic, p.name) then traffic[p.name] else p.traffic }
        for p in super.predictors
      ],
    }),
}
