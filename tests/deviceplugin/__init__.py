"""A fake GPU device plugin for a kubelet: the local cluster's real GPU node gets its GPU from
it (realnode.py starts it for the cluster tier's session; README, "The real nodes").

The kubelet learns devices such as `nvidia.com/gpu` from a device plugin that registers on its
`kubelet.sock`; kind's tier patches the node status instead, which gives the scheduler a
number but no container a device (nothing answers Allocate). This plugin speaks the kubelet's
device-plugin API (v1beta1, stubs generated from the pinned `k8s.io/kubelet` module: stubs.py),
advertises N healthy fake devices and answers Allocate with NVIDIA_VISIBLE_DEVICES, as NVIDIA's
plugin does.
"""
