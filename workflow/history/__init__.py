"""Achievement history: who received which title or award in which year, as rule checks read it.
May use: nothing but the top modules.
"""
