"""Comparing groups of a corpus: sense shares and change scores of one word (``compare``), and
every word ranked by how much its use differs between two groups (``changes``)."""
