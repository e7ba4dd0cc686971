"""Support: the staff console hosted in the admin (look up a request ID, the list of errors,
its chart and top codes, the CSV export, and an event's response rendered again)."""
