"""What leaves the store: transcript formats, and later bundles and QDPX."""
