def report_0():
    return 0


def report_1():
    return 1


def report_2():
    return 2


def report_3():
    return 3


def report_4():
    return 4


def report_5():
    return 5


def report_6():
    return 6


def report_7():
    return 7


def report_8():
    return 8


def report_9():
    return 9


def report_10():
    return 10


def report_11():
    return 11


def report_12():
    return 12


def report_13():
    return 13


def report_14():
    return 14


def report_15():
    return 15


def report_16():
    return 16


def report_17():
    return 17


def report_18():
    return 18


def report_19():
    return 19


def report_20():
    return 20


def report_21():
    return 21


def report_22():
    return 22


def report_23():
    return 23


def report_24():
    return 24


def report_25():
    return 25


def report_26():
    return 26


def report_27():
    return 27


def report_28():
    return 28


def report_29():
    return 29


