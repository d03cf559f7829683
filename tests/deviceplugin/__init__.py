"""A fake GPU device plugin for a kubelet (meant for the local cluster's real GPU node, whose
kubelet it cannot reach yet: README, "The real nodes").

The kubelet learns extended resources such as `nvidia.com/gpu` only from a device plugin that
registers on its `kubelet.sock`; kind's tier patches the node status instead, which never
reaches `allocatable` on a real kubelet. This plugin speaks the kubelet's device-plugin API
(v1beta1, stubs generated from the pinned `k8s.io/kubelet` module: stubs.py), advertises N
healthy fake devices and answers Allocate with NVIDIA_VISIBLE_DEVICES, as NVIDIA's plugin does.
"""
