# Docs target (placeholder)
