"""Model-written tools: drafts checked in the sandbox, and the project library of approved ones."""
