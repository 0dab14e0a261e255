"""Data entry by the year (数据填报 like a spreadsheet), one module per page with its
JSON twin: ``grid`` (the year grid of 12 months × carriers and the form's 上报),
``profile`` (the annual 基本信息, NY101); ``schemas`` holds their bodies and
response models. Listed in ``web.app.ROUTERS`` before ``web.entry`` (whose
``/entry/{code}/{year}/{month}`` would otherwise take ``…/profile``).
"""
