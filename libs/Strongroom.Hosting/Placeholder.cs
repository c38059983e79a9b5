namespace Strongroom.Hosting;
