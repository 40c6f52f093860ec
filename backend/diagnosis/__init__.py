"""质量文化建设诊断: a university's self-rating questionnaire, cross-checked against its reviewed evidence."""
