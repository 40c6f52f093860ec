"""Rubrics (indicator systems) as data: models, the YAML loader and validator, the registry, the table importer."""
