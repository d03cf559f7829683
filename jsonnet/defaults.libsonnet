// Generated from generator/infergraph/defaults.py (and the fragments the compiler builds from it)
// by tools/gen_jsonnet_defaults.py (`make schemas`); do not edit.
{
  constants: {
    AUTOSCALING_TARGET_CPU: 70,
    DEFAULT_PROTOCOL: 'seldon',
    DEFAULT_TRANSPORT: 'rest',
    DETECTOR_REPLICAS: 1,
    GPU_RESOURCE: 'nvidia.com/gpu',
    GRAPH_MOUNT_PATH: '/etc/infergraph',
    GRPC_PORT: 9500,
    GRPC_ROUTE_HEADER: 'seldon',
    HTTP_PORT: 9000,
    IMAGE_PULL_POLICY: 'IfNotPresent',
    ISTIO_GATEWAYS: [
      'istio-system/infergraph-gateway',
    ],
    ISTIO_HOSTS: [
      '*',
    ],
    ISTIO_PREFIX_ROOT: 'infergraph',
    ISTIO_RETRY_ON: 'connect-failure,refused-stream,unavailable,gateway-error',
    KEDA_COOLDOWN_PERIOD: 300,
    KEDA_MAX_REPLICA_COUNT: 100,
    KEDA_MIN_REPLICA_COUNT: 0,
    KEDA_POLLING_INTERVAL: 30,
    LIVENESS_PERIOD_SECONDS: 10,
    LOGGER_MODE: 'all',
    LOGGER_URL: 'http://default-broker',
    LOG_BACKOFF_MS: 100,
    LOG_QUEUE_SIZE: 1000,
    LOG_RETRIES: 3,
    LOG_SAMPLE_RATE: 1.0,
    LOG_SENDERS: 2,
    LOG_SINK_MOUNT_PATH: '/var/lib/infergraph/logs',
    LOG_SINK_RESOURCES: {
      requests: {
        cpu: '50m',
        memory: '64Mi',
      },
      limits: {
        memory: '256Mi',
      },
    },
    LOG_TIMEOUT_MS: 2000,
    MAX_BODY_BYTES: 10485760,
    MAX_CONCURRENCY: 512,
    METRICS_PORT: 6000,
    MODEL_MOUNT_PATH: '/mnt/models',
    NETWORK_POLICY_GATEWAY_NAMESPACE: 'istio-system',
    NODE_PROBE_PERIOD_MS: 500,
    NODE_RESOURCES: {
      requests: {
        cpu: '100m',
        memory: '256Mi',
      },
      limits: {
        memory: '1Gi',
      },
    },
    NODE_RETRIES: 2,
    NODE_TIMEOUT_MS: 10000,
    ORCHESTRATOR_RESOURCES: {
      requests: {
        cpu: '100m',
        memory: '128Mi',
      },
      limits: {
        memory: '512Mi',
      },
    },
    PRE_STOP_SECONDS: 5,
    PROBE_FAILURE_THRESHOLD: 3,
    PROBE_TIMEOUT_SECONDS: 2,
    PVC_MOUNT_PATH: '/mnt/pvc',
    READINESS_PERIOD_SECONDS: 5,
    REPLICAS: 1,
    RUN_AS_USER: 10001,
    SCRATCH_MOUNT_PATH: '/tmp',
    SERVER_IMAGE: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    SERVICE_MONITOR_INTERVAL: '30s',
    STARTUP_FAILURE_THRESHOLD: 60,
    STORAGE_INITIALIZER_IMAGE: 'kserve/storage-initializer:v0.14.1',
    STORAGE_INITIALIZER_RESOURCES: {
      requests: {
        cpu: '100m',
        memory: '100Mi',
      },
      limits: {
        memory: '1Gi',
      },
    },
    TERMINATION_GRACE_PERIOD_SECONDS: 30,
    TRACING_PROPAGATORS: 'b3multi,tracecontext,baggage',
    TRACING_SAMPLER: 'parentbased_traceidratio',
    TRACING_SAMPLER_RATIO: 1.0,
    WORKERS: 1,
  },
  prepackaged: {
    model: 'SKLEARN_SERVER',
    abTest: 'RANDOM_ABTEST',
    bandit: 'EPSILON_GREEDY',
    combiner: 'AVERAGE_COMBINER',
  },
  images: {
    SKLEARN_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    XGBOOST_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0-xgboost',
    LIGHTGBM_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0-lightgbm',
    ONNX_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0-onnx',
    MLFLOW_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0-mlflow',
    RANDOM_ABTEST: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    EPSILON_GREEDY: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    THOMPSON_SAMPLING: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    AVERAGE_COMBINER: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    TRITON_SERVER: 'ghcr.io/infergraph/infergraph-server:0.1.0',
  },
  containerPorts: [
    {
      name: 'http',
      containerPort: 9000,
      protocol: 'TCP',
    },
    {
      name: 'grpc',
      containerPort: 9500,
      protocol: 'TCP',
    },
    {
      name: 'metrics',
      containerPort: 6000,
      protocol: 'TCP',
    },
  ],
  servicePorts: [
    {
      name: 'http',
      port: 9000,
      targetPort: 'http',
      protocol: 'TCP',
      appProtocol: 'http',
    },
    {
      name: 'grpc',
      port: 9500,
      targetPort: 'grpc',
      protocol: 'TCP',
      appProtocol: 'grpc',
    },
    {
      name: 'metrics',
      port: 6000,
      targetPort: 'metrics',
      protocol: 'TCP',
      appProtocol: 'http',
    },
  ],
  podSecurityContext: {
    fsGroup: 10001,
    runAsGroup: 10001,
    runAsNonRoot: true,
    runAsUser: 10001,
    seccompProfile: {
      type: 'RuntimeDefault',
    },
  },
  containerSecurityContext: {
    allowPrivilegeEscalation: false,
    capabilities: {
      drop: [
        'ALL',
      ],
    },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: {
      type: 'RuntimeDefault',
    },
  },
  prometheusAnnotations: {
    'prometheus.io/path': '/metrics',
    'prometheus.io/port': '6000',
    'prometheus.io/scrape': 'true',
  },
  scratch: {
    volume: {
      name: 'scratch',
      emptyDir: {},
    },
    mount: {
      name: 'scratch',
      mountPath: '/tmp',
    },
  },
  probes: {
    v2: {
      livenessProbe: {
        httpGet: {
          path: '/v2/health/live',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 10,
        failureThreshold: 3,
        timeoutSeconds: 2,
      },
      readinessProbe: {
        httpGet: {
          path: '/v2/health/ready',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 5,
        failureThreshold: 3,
        timeoutSeconds: 2,
      },
      startupProbe: {
        httpGet: {
          path: '/v2/health/ready',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 5,
        failureThreshold: 60,
        timeoutSeconds: 2,
      },
    },
    seldon: {
      livenessProbe: {
        httpGet: {
          path: '/health/ping',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 10,
        failureThreshold: 3,
        timeoutSeconds: 2,
      },
      readinessProbe: {
        httpGet: {
          path: '/health/status',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 5,
        failureThreshold: 3,
        timeoutSeconds: 2,
      },
      startupProbe: {
        httpGet: {
          path: '/health/status',
          port: 'http',
          scheme: 'HTTP',
        },
        periodSeconds: 5,
        failureThreshold: 60,
        timeoutSeconds: 2,
      },
    },
  },
  strategy: {
    cpu: {
      type: 'RollingUpdate',
      rollingUpdate: {
        maxSurge: 1,
        maxUnavailable: 0,
      },
    },
    gpu: {
      type: 'RollingUpdate',
      rollingUpdate: {
        maxSurge: 0,
        maxUnavailable: 1,
      },
    },
  },
  gpuToleration: {
    key: 'nvidia.com/gpu',
    operator: 'Exists',
    effect: 'NoSchedule',
  },
  remoteSchemes: [
    'gs',
    's3',
    'https',
    'http',
  ],
  storage: {
    remote: {
      path: '/mnt/models',
      volumes: [
        {
          name: 'model',
          emptyDir: {},
        },
      ],
      mounts: [
        {
          name: 'model',
          mountPath: '/mnt/models',
          readOnly: true,
        },
      ],
      initContainers: [
        {
          name: 'storage-initializer',
          image: 'kserve/storage-initializer:v0.14.1',
          imagePullPolicy: 'IfNotPresent',
          args: [
            'gs://MODEL_URI',
            '/mnt/models',
          ],
          resources: {
            limits: {
              memory: '1Gi',
            },
            requests: {
              cpu: '100m',
              memory: '100Mi',
            },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: {
              drop: [
                'ALL',
              ],
            },
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            seccompProfile: {
              type: 'RuntimeDefault',
            },
          },
          volumeMounts: [
            {
              name: 'model',
              mountPath: '/mnt/models',
            },
            {
              name: 'scratch',
              mountPath: '/tmp',
            },
          ],
        },
      ],
    },
    pvc: {
      path: '/mnt/pvc/PATH',
      volumes: [
        {
          name: 'model',
          persistentVolumeClaim: {
            claimName: 'CLAIM',
            readOnly: true,
          },
        },
      ],
      mounts: [
        {
          name: 'model',
          mountPath: '/mnt/pvc',
          readOnly: true,
        },
      ],
      initContainers: [],
    },
  },
  test: {
    enabled: true,
    image: 'ghcr.io/infergraph/infergraph-server:0.1.0',
    path: '/api/v1.0/predictions',
    request: '{"data":{"ndarray":[[5.1,3.5,1.4,0.2]]}}',
    command: [
      'python3',
      '-c',
      'import json, os, time, urllib.request\nurl, body = os.environ["URL"], os.environ["REQUEST"].encode()\nrequest = urllib.request.Request(url, body, {"Content-Type": "application/json"})\nfor attempt in range(1, 11):\n    try:\n        with urllib.request.urlopen(request, timeout=10) as response:\n            answer = json.load(response)\n        break\n    except OSError as error:\n        print(f"attempt {attempt}: {url}: {error}", flush=True)\n        time.sleep(3)\nelse:\n    raise SystemExit(f"no answer from {url}")\nfound = {"data", "strData", "jsonData", "binData", "outputs"} & set(answer)\nif not found:\n    raise SystemExit(f"answer without data: {json.dumps(answer)[:500]}")\nprint("ok:", json.dumps(answer)[:500])\n',
    ],
  },
}
