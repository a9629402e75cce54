"""Senses of a word over the whole corpus: induced by clustering, labelled, kept, drawn."""
