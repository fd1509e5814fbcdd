"""Detection over envelope bins: the segmenter kernel, the judge, leg movements, pre-cramp warnings, several muscles."""
