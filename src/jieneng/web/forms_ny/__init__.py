"""Forms NY202 (data-centre rooms, 数据中心机房) and NY203 (heating, 采暖) in the web:
``entry`` (an institution's rooms, figures, heating, meters, upload; its twin),
``summary`` (the review and summary view, its twin and workbook); ``common`` the
columns, labels and query parameters they share, ``schemas`` their JSON models. A
package because together they were over 500 lines."""
