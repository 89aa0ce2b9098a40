"""Numbered decisions (quyết định khen thưởng): issue and correct them through the door, who may
see which, their numbering, lists and Word/Excel exports.
May use: proposals, notices, history, documents, campaigns, audit.
"""
