"""Scale-out drill: several worker and API processes on one Temporal service and one database."""
