"""Pages anyone may read without logging in: the public notices and their objection form."""
