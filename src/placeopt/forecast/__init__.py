"""placeopt forecast: EHC plan history (DfE SEN2) projected by a cohort model into the
workbook's Demand sheet, with low / high variants, a method sheet, a fan chart and backtests."""
