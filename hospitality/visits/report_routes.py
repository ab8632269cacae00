"""Visit lists, filters, per-rep figures and exports for the lead and the manager."""
