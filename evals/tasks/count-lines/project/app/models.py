from dataclasses import dataclass


@dataclass
class Product:
    field_0: str = ""
    field_1: str = ""
    field_2: str = ""
    field_3: str = ""
    field_4: str = ""
    field_5: str = ""
    field_6: str = ""
    field_7: str = ""
    field_8: str = ""
    field_9: str = ""
    field_10: str = ""
    field_11: str = ""
    field_12: str = ""
    field_13: str = ""
    field_14: str = ""
    field_15: str = ""
    field_16: str = ""
    field_17: str = ""
