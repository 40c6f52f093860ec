"""The secretariat's campaign work: the submissions board, expert assignment, ranking with quotas, exports, charts."""
