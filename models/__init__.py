"""The bundled trained models (installed as ``framing.bundled_models``); see MODEL_CARD.md."""
