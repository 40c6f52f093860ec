"""Drafters turn matched evidence into indicator assessments: extractive (default) and LLM."""
