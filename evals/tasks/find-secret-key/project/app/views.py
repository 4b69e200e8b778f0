def home(request):
    return 'home'
