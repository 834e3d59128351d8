"""Local speech-to-text: the model, the worker process, the job queue."""
