"""Policy documents: YAML loading with line numbers, the envelope models, bundles, versions."""
