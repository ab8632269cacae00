"""What the visit screens read, by screen: `detail` (a visit's page and its forms' pickers), `live` (the polled
element and the today panels), `report` (the filtered lists, per-rep figures and the export's rows)."""
