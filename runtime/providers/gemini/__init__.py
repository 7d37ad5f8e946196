"""The Gemini driver (`/v1beta/*`)."""
