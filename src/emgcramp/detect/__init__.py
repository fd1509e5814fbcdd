"""Detection over envelope bins: the segmenter, features and the one decision, leg movements, warnings, muscles."""
