"""Prompt templates and personas: named, versioned system prompts with variables and few-shot
examples, selected by a route (`routes.<r>.template`) or by a request (`prompt_id`)."""
