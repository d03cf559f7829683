"""Payload codecs: Seldon messages and V2 (Open Inference Protocol) tensors to numpy and back."""

__all__: list[str] = []
