"""edukg: knowledge graphs from Chinese education-policy documents."""
__version__ = "0.1.0"
