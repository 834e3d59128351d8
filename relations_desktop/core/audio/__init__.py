"""Audio: capture, the chunk codec, storage of chunks, import, export and playback."""
