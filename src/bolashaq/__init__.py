"""Bolashaq: the information system of Kazakhstan's Bolashak scholarship competition."""
