"""User-facing surfaces: the service facade, the CLI and the Gradio web app."""
