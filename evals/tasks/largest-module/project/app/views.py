def view_0():
    return '0'


def view_1():
    return '1'


def view_2():
    return '2'


def view_3():
    return '3'


def view_4():
    return '4'


def view_5():
    return '5'


def view_6():
    return '6'


def view_7():
    return '7'


def view_8():
    return '8'


def view_9():
    return '9'


