"""Detection over envelope bins: the segmenter kernel, features and the one decision, leg movements, pre-cramp warnings, several muscles."""
