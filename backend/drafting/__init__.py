"""Self-evaluation report drafting (自评报告自动生成): a rubric-shaped draft from a submission's 支撑材料."""
