"""Domain objects shared by every stage of the pipeline."""
