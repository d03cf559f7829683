// A Kubeflow-style component written by hand: an iris model with a 10% canary, rendered as a
// List for `kubectl apply -f -`. The library is found on the import path, as with ksonnet's
// vendored packages or jsonnet-bundler's vendor/ (jsonnetfile.json):
//
//   jsonnet -J jsonnet examples/kubeflow/iris.jsonnet | kubectl apply -f -
local ig = import 'infergraph.libsonnet';

local params = {
  name: 'iris',
  namespace: 'kubeflow',
  modelUri: 'gs://seldon-models/sklearn/iris',
  canaryUri: 'gs://seldon-models/sklearn/iris-v2',
  canaryPercent: 10,
};

local graph = ig.withCanary(
  ig.serveSimple(params.name, modelUri=params.modelUri),
  { modelUri: params.canaryUri },
  params.canaryPercent,
);

{
  apiVersion: 'v1',
  kind: 'List',
  items: ig.render(graph, namespace=params.namespace),
}
